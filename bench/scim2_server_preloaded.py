#!/usr/bin/env python3
"""scim2-server (PyPI, the reference server of python-scim) with N users already in its
memory, so the SCIM bench can compare the same directory on both servers without 100,000
POSTs. Usage: scim2_server_preloaded.py PORT USERS_JSON TOKEN. Serves /v2 on 127.0.0.1:PORT.
"""
import json
import sys

from scim2_models import User
from scim2_server import memory
from scim2_server.testserver import cli

port, users_file, token = sys.argv[1], sys.argv[2], sys.argv[3]
with open(users_file) as f:
    preloaded = [User.model_validate(u) for u in json.load(f)]

_plain_init = memory.InMemoryStorage.__init__


def _init_with_users(self, *args, **kwargs):
    _plain_init(self, *args, **kwargs)
    self.resources = preloaded


memory.InMemoryStorage.__init__ = _init_with_users
sys.argv = ["scim2-server", "--port", port, "--bearer-token", token]
cli.main()
