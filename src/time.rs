//! RFC 3339 timestamps as `i64` Unix milliseconds (UTC, proleptic Gregorian calendar).
//!
//! [`format_ms`] writes the RFC 3339 §5.6 `date-time` profile the API emits:
//! `YYYY-MM-DDTHH:MM:SS.mmmZ` (always milliseconds, always `Z`). [`parse`] reads RFC 3339 §5.6
//! `date-time` (`T`/`t` separator, `Z`/`z` or `±hh:mm` offset, optional fraction of any length,
//! truncated to milliseconds) and also a bare `full-date` (`YYYY-MM-DD`, midnight UTC).
//! Fields are range-checked per §5.7, except that a leap second (`:60`) is rejected: Unix time
//! has no representation for it.

use std::fmt;

const MS_PER_SECOND: i64 = 1_000;
const MS_PER_MINUTE: i64 = 60 * MS_PER_SECOND;
const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;
/// Days from 0000-03-01 (the start of the shifted calendar) to 1970-01-01.
const EPOCH_SHIFT_DAYS: i64 = 719_468;
/// Days in one 400-year Gregorian cycle.
const DAYS_PER_ERA: i64 = 146_097;
/// Longest input [`parse`] looks at.
pub const MAX_INPUT_LEN: usize = 64;

/// Why a timestamp was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeError {
    /// The input is longer than [`MAX_INPUT_LEN`] bytes.
    TooLong,
    /// The input does not follow the RFC 3339 grammar.
    Syntax,
    /// A field is outside its allowed range (RFC 3339 §5.7); names the field.
    OutOfRange(&'static str),
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong => write!(f, "timestamp longer than {MAX_INPUT_LEN} characters"),
            Self::Syntax => f.write_str("not an RFC 3339 date-time or YYYY-MM-DD date"),
            Self::OutOfRange(field) => write!(f, "{field} out of range"),
        }
    }
}

impl std::error::Error for TimeError {}

/// Formats Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
///
/// Years outside 0000..=9999 (not expressible in RFC 3339) use the ISO 8601 expanded form
/// `±YYYYYY`, as JavaScript's `Date.prototype.toISOString` does.
pub fn format_ms(ms: i64) -> String {
    let (year, month, day) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    let in_day = ms.rem_euclid(MS_PER_DAY);
    format!(
        "{}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        format_year(year),
        in_day / MS_PER_HOUR,
        in_day % MS_PER_HOUR / MS_PER_MINUTE,
        in_day % MS_PER_MINUTE / MS_PER_SECOND,
        in_day % MS_PER_SECOND,
    )
}

/// Parses an RFC 3339 `date-time` or a bare `YYYY-MM-DD` into Unix milliseconds.
pub fn parse(s: &str) -> Result<i64, TimeError> {
    if s.len() > MAX_INPUT_LEN {
        return Err(TimeError::TooLong);
    }
    let mut sc = Scanner { bytes: s.as_bytes(), pos: 0 };
    let days = sc.full_date()?;
    if sc.at_end() {
        return Ok(days * MS_PER_DAY);
    }
    sc.expect_one_of(b"Tt")?;
    let time_ms = sc.partial_time()?;
    let offset_ms = sc.time_offset()?;
    if !sc.at_end() {
        return Err(TimeError::Syntax);
    }
    Ok(days * MS_PER_DAY + time_ms - offset_ms)
}

fn format_year(year: i64) -> String {
    if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else {
        format!("{year:+07}")
    }
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date. The year is counted from March so
/// the leap day falls at the end of it; `month_index` is then 0 (March) ..= 11 (February).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year.rem_euclid(400);
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT_DAYS
}

/// Inverse of [`days_from_civil`]: `(year, month 1..=12, day 1..=31)`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + EPOCH_SHIFT_DAYS;
    let era = shifted.div_euclid(DAYS_PER_ERA);
    let day_of_era = shifted.rem_euclid(DAYS_PER_ERA);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = (month_index + 2) % 12 + 1;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A cursor over the ASCII grammar of RFC 3339 §5.6.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn expect_one_of(&mut self, allowed: &[u8]) -> Result<u8, TimeError> {
        match self.peek() {
            Some(b) if allowed.contains(&b) => {
                self.pos += 1;
                Ok(b)
            }
            _ => Err(TimeError::Syntax),
        }
    }

    fn digit(&mut self) -> Option<i64> {
        let b = self.peek().filter(u8::is_ascii_digit)?;
        self.pos += 1;
        Some(i64::from(b - b'0'))
    }

    /// Exactly `count` digits whose value must lie in `min..=max`.
    fn field(&mut self, count: usize, min: i64, max: i64, name: &'static str) -> Result<i64, TimeError> {
        let mut value = 0;
        for _ in 0..count {
            value = value * 10 + self.digit().ok_or(TimeError::Syntax)?;
        }
        if (min..=max).contains(&value) {
            Ok(value)
        } else {
            Err(TimeError::OutOfRange(name))
        }
    }

    /// `full-date`, as days since the Unix epoch.
    fn full_date(&mut self) -> Result<i64, TimeError> {
        let year = self.field(4, 0, 9999, "year")?;
        self.expect_one_of(b"-")?;
        let month = self.field(2, 1, 12, "month")?;
        self.expect_one_of(b"-")?;
        let day = self.field(2, 1, days_in_month(year, month), "day")?;
        Ok(days_from_civil(year, month, day))
    }

    /// `partial-time`, as milliseconds since midnight.
    fn partial_time(&mut self) -> Result<i64, TimeError> {
        let hour = self.field(2, 0, 23, "hour")?;
        self.expect_one_of(b":")?;
        let minute = self.field(2, 0, 59, "minute")?;
        self.expect_one_of(b":")?;
        let second = self.field(2, 0, 59, "second")?;
        let fraction = self.time_secfrac()?;
        Ok(hour * MS_PER_HOUR + minute * MS_PER_MINUTE + second * MS_PER_SECOND + fraction)
    }

    /// Optional `time-secfrac` (`.` 1*DIGIT), truncated to milliseconds.
    fn time_secfrac(&mut self) -> Result<i64, TimeError> {
        if self.peek() != Some(b'.') {
            return Ok(0);
        }
        self.pos += 1;
        let mut millis = 0;
        let mut count = 0;
        while let Some(d) = self.digit() {
            if count < 3 {
                millis = millis * 10 + d;
            }
            count += 1;
        }
        match count {
            0 => Err(TimeError::Syntax),
            1 => Ok(millis * 100),
            2 => Ok(millis * 10),
            _ => Ok(millis),
        }
    }

    /// `time-offset`, as milliseconds east of UTC (`-00:00` is UTC, per §4.3).
    fn time_offset(&mut self) -> Result<i64, TimeError> {
        let sign = match self.expect_one_of(b"Zz+-")? {
            b'+' => 1,
            b'-' => -1,
            _ => return Ok(0),
        };
        let hour = self.field(2, 0, 23, "offset hour")?;
        self.expect_one_of(b":")?;
        let minute = self.field(2, 0, 59, "offset minute")?;
        Ok(sign * (hour * MS_PER_HOUR + minute * MS_PER_MINUTE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_formats_as_1970() {
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(parse("1970-01-01T00:00:00Z"), Ok(0));
    }

    #[test]
    fn format_always_has_millis_and_z() {
        assert_eq!(format_ms(1_780_991_622_626), "2026-06-09T07:53:42.626Z");
        assert_eq!(format_ms(1_780_991_622_000), "2026-06-09T07:53:42.000Z");
    }

    #[test]
    fn format_before_epoch() {
        assert_eq!(format_ms(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(format_ms(-62_167_219_200_000), "0000-01-01T00:00:00.000Z");
    }

    #[test]
    fn format_years_beyond_rfc3339_use_expanded_form() {
        assert_eq!(format_ms(253_402_300_800_000), "+010000-01-01T00:00:00.000Z");
        assert_eq!(format_ms(-62_167_219_200_001), "-000001-12-31T23:59:59.999Z");
    }

    #[test]
    fn format_extremes_do_not_panic() {
        assert!(format_ms(i64::MIN).ends_with('Z'));
        assert!(format_ms(i64::MAX).ends_with('Z'));
    }

    #[test]
    fn rfc3339_5_8_example_utc_with_fraction() {
        assert_eq!(parse("1985-04-12T23:20:50.52Z"), Ok(482_196_050_520));
    }

    #[test]
    fn rfc3339_5_8_example_negative_offset() {
        assert_eq!(parse("1996-12-19T16:39:57-08:00"), Ok(851_042_397_000));
        assert_eq!(parse("1996-12-20T00:39:57Z"), Ok(851_042_397_000));
    }

    #[test]
    fn rfc3339_5_8_example_positive_offset_before_epoch() {
        assert_eq!(parse("1937-01-01T12:00:27.87+00:20"), Ok(-1_041_337_172_130));
    }

    #[test]
    fn rfc3339_5_8_leap_second_example_is_rejected() {
        assert_eq!(parse("1990-12-31T23:59:60Z"), Err(TimeError::OutOfRange("second")));
    }

    #[test]
    fn offset_crossing_midnight_and_year() {
        assert_eq!(parse("2026-01-01T01:30:00+02:00"), parse("2025-12-31T23:30:00Z"));
        assert_eq!(parse("2025-12-31T22:00:00-05:30"), parse("2026-01-01T03:30:00Z"));
    }

    #[test]
    fn negative_zero_offset_is_utc() {
        assert_eq!(parse("2026-06-09T07:53:42-00:00"), parse("2026-06-09T07:53:42Z"));
    }

    #[test]
    fn lowercase_t_and_z_accepted() {
        assert_eq!(parse("2026-06-09t07:53:42.626z"), Ok(1_780_991_622_626));
    }

    #[test]
    fn fraction_of_any_length_truncates_to_millis() {
        assert_eq!(parse("1970-01-01T00:00:00.1Z"), Ok(100));
        assert_eq!(parse("1970-01-01T00:00:00.12Z"), Ok(120));
        assert_eq!(parse("1970-01-01T00:00:00.999999999999Z"), Ok(999));
        assert_eq!(parse("1969-12-31T23:59:59.9999Z"), Ok(-1));
    }

    #[test]
    fn bare_date_is_midnight_utc() {
        assert_eq!(parse("2026-06-09"), Ok(1_780_963_200_000));
        assert_eq!(parse("0001-01-01"), Ok(-62_135_596_800_000));
    }

    #[test]
    fn leap_years_follow_gregorian_rules() {
        assert_eq!(parse("2000-02-29"), Ok(951_782_400_000));
        assert!(parse("2024-02-29T12:00:00Z").is_ok());
        assert!(parse("0000-02-29").is_ok());
        assert_eq!(parse("1900-02-29"), Err(TimeError::OutOfRange("day")));
        assert_eq!(parse("2023-02-29"), Err(TimeError::OutOfRange("day")));
        assert_eq!(parse("2024-03-01"), Ok(parse("2024-02-29").unwrap() + MS_PER_DAY));
    }

    #[test]
    fn out_of_range_fields_rejected() {
        let cases = [
            ("2026-13-01", "month"),
            ("2026-00-01", "month"),
            ("2026-02-30", "day"),
            ("2026-04-31", "day"),
            ("2026-01-00", "day"),
            ("2026-01-01T24:00:00Z", "hour"),
            ("2026-01-01T23:60:00Z", "minute"),
            ("2026-01-01T23:59:60Z", "second"),
            ("2026-01-01T00:00:00+24:00", "offset hour"),
            ("2026-01-01T00:00:00+01:60", "offset minute"),
        ];
        for (input, field) in cases {
            assert_eq!(parse(input), Err(TimeError::OutOfRange(field)), "{input}");
        }
    }

    #[test]
    fn malformed_inputs_rejected() {
        let cases = [
            "",
            "2026",
            "2026-6-09",
            "26-06-09",
            "2026/06/09",
            "2026-06-09T",
            "2026-06-09 07:53:42Z",
            "2026-06-09T07:53Z",
            "2026-06-09T07:53:42",
            "2026-06-09T07:53:42.Z",
            "2026-06-09T07:53:42+0100",
            "2026-06-09T07:53:42+01",
            "2026-06-09T07:53:42Z ",
            " 2026-06-09",
            "+2026-06-09",
            "2026-06-09T07:53:42UTC",
            "２０２６-06-09",
        ];
        for input in cases {
            assert_eq!(parse(input), Err(TimeError::Syntax), "{input:?}");
        }
    }

    #[test]
    fn input_over_64_bytes_rejected() {
        let long = format!("2026-06-09T07:53:42.{}Z", "1".repeat(44));
        assert_eq!(long.len(), 65);
        assert_eq!(parse(&long), Err(TimeError::TooLong));
        assert_eq!(parse(&format!("2026-06-09T07:53:42.{}Z", "1".repeat(43))), Ok(1_780_991_622_111));
    }

    #[test]
    fn days_from_civil_inverts_civil_from_days() {
        for days in (-800_000..3_000_000).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!((1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d));
        }
    }

    #[test]
    fn consecutive_days_are_consecutive_dates() {
        let mut prev = civil_from_days(-1);
        for days in 0..100_000 {
            let cur = civil_from_days(days);
            let next_in_month = (prev.0, prev.1, prev.2 + 1);
            let next_month = (prev.0, prev.1 + 1, 1);
            let next_year = (prev.0 + 1, 1, 1);
            assert!(cur == next_in_month || cur == next_month || cur == next_year, "{prev:?} -> {cur:?}");
            prev = cur;
        }
    }

    #[test]
    fn format_then_parse_round_trips() {
        let min = -62_167_219_200_000; // 0000-01-01
        let max = 253_402_300_799_999; // 9999-12-31T23:59:59.999
        let step = 9_876_543_211; // ~114 days, odd, so every field value gets exercised
        let mut ms = min;
        while ms <= max {
            assert_eq!(parse(&format_ms(ms)), Ok(ms), "{}", format_ms(ms));
            ms += step;
        }
        assert_eq!(parse(&format_ms(max)), Ok(max));
    }

    #[test]
    fn error_messages_are_readable() {
        assert_eq!(TimeError::OutOfRange("month").to_string(), "month out of range");
        assert_eq!(TimeError::TooLong.to_string(), "timestamp longer than 64 characters");
    }
}
