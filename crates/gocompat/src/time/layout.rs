//! Go's reference-layout time parsing and formatting (`time.Parse`, `time.ParseInLocation`,
//! `Time.Format`), `time.LoadLocation` on the IANA database (embedded, as Alloy embeds `time/tzdata`) and
//! `Time.AddDate`. The layout is read chunk by chunk as Go's `nextStdChunk` reads it, with Go's errors.
//!
//! Go's `Local` is taken to be UTC (what a container's Go process has without `TZ`): `time.Parse` with a
//! zone abbreviation other than `UTC` and `GMT±h` records offset 0, as Go does for an abbreviation its
//! local zone does not know.

use std::sync::Arc;

/// A location: UTC, a fixed offset (`FixedZone`, what a parsed numeric offset gives), or a zone of the IANA
/// database.
#[derive(Clone, Debug)]
pub enum Location {
    Utc,
    Fixed { name: Arc<str>, offset: i32 },
    Zone(Arc<jiff::tz::TimeZone>),
}

impl PartialEq for Location {
    fn eq(&self, o: &Location) -> bool {
        self.name() == o.name()
    }
}

impl Location {
    /// `Location.String()`.
    pub fn name(&self) -> String {
        match self {
            Location::Utc => "UTC".to_string(),
            Location::Fixed { name, .. } => name.to_string(),
            Location::Zone(z) => z.iana_name().unwrap_or("").to_string(),
        }
    }

    /// The zone's abbreviation and offset at `unix` seconds.
    fn lookup(&self, unix: i64) -> (String, i32) {
        match self {
            Location::Utc => ("UTC".to_string(), 0),
            Location::Fixed { name, offset } => (name.to_string(), *offset),
            Location::Zone(z) => {
                match jiff::Timestamp::from_second(unix.clamp(-377705116800, 253402207200)) {
                    Ok(ts) => {
                        let info = z.to_offset_info(ts);
                        (info.abbreviation().to_string(), info.offset().seconds())
                    }
                    Err(_) => ("UTC".to_string(), 0),
                }
            }
        }
    }

    /// Go's `lookupName`: the offset of a zone called `name` in this location, preferring one in effect at
    /// `unix`.
    fn lookup_name(&self, name: &str, unix: i64) -> Option<i32> {
        match self {
            Location::Utc => (name == "UTC").then_some(0),
            Location::Fixed { name: n, offset } => (**n == *name).then_some(*offset),
            Location::Zone(_) => {
                let (abbr, offset) = self.lookup(unix);
                if abbr == name {
                    // Go then re-checks the offset at the adjusted instant.
                    let (abbr2, offset2) = self.lookup(unix - offset as i64);
                    if abbr2 == name {
                        return Some(offset2);
                    }
                    return Some(offset);
                }
                // Any period of the zone with that name: month by month a year either side.
                for k in 1..=13i64 {
                    for delta in [-k * 30 * 86400, k * 30 * 86400] {
                        let (abbr, offset) = self.lookup(unix + delta);
                        if abbr == name {
                            return Some(offset);
                        }
                    }
                }
                None
            }
        }
    }
}

/// `time.LoadLocation`.
pub fn load_location(name: &str) -> Result<Location, String> {
    if name.is_empty() || name == "UTC" {
        return Ok(Location::Utc);
    }
    if name == "Local" {
        return Ok(Location::Utc);
    }
    if name.contains("..") || name.starts_with('/') || name.starts_with('\\') {
        return Err("time: invalid location name".to_string());
    }
    match jiff::tz::TimeZone::get(name) {
        Ok(z) if z.iana_name() == Some(name) => Ok(Location::Zone(Arc::new(z))),
        _ => Err(format!("unknown time zone {name}")),
    }
}

/// A point in time with the location it is shown in: Go's `time.Time`.
#[derive(Clone, Debug, PartialEq)]
pub struct Time {
    /// Seconds since the Unix epoch.
    pub unix: i64,
    /// Nanoseconds within the second.
    pub nsec: u32,
    pub loc: Location,
}

/// Wall-clock fields in a location.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub min: u32,
    pub sec: u32,
    pub nsec: u32,
    /// Seconds east of UTC.
    pub offset: i32,
    pub weekday: u32,
    pub yday: u32,
}

const DAYS_BEFORE: [u32; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in(month: u32, year: i64) -> u32 {
    if month == 2 && is_leap(year) {
        29
    } else {
        DAYS_BEFORE[month as usize] - DAYS_BEFORE[month as usize - 1]
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, any day).
fn days_from_civil(y: i64, m: u32, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468 + (d - 1)
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Go's `time.Date`: normalizes out-of-range fields, then finds the offset the location has at that wall
/// time as Go does (the offset at the wall time read as UTC, corrected once if that instant is in another
/// period).
#[allow(clippy::too_many_arguments)]
pub fn date(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    min: i64,
    sec: i64,
    nsec: i64,
    loc: Location,
) -> Time {
    // Normalize month into year, then nsec, sec, min, hour into days.
    let m0 = month - 1;
    let year = year + m0.div_euclid(12);
    let month = (m0.rem_euclid(12) + 1) as u32;
    let sec = sec + nsec.div_euclid(1_000_000_000);
    let nsec = nsec.rem_euclid(1_000_000_000) as u32;
    let days = days_from_civil(year, month, day);
    let wall = days * 86400 + hour * 3600 + min * 60 + sec;
    let (_, offset) = loc.lookup(wall);
    let mut unix = wall;
    if offset != 0 {
        let utc = wall - offset as i64;
        let (_, offset2) = loc.lookup(utc);
        unix -= if offset2 != offset { offset2 } else { offset } as i64;
    }
    Time { unix, nsec, loc }
}

impl Time {
    /// `UnixNano`: wraps past the range of an int64 as Go's arithmetic does.
    pub fn unix_nano(&self) -> i64 {
        self.unix
            .wrapping_mul(1_000_000_000)
            .wrapping_add(self.nsec as i64)
    }

    /// The wall clock in the time's location.
    pub fn civil(&self) -> Civil {
        let (_, offset) = self.loc.lookup(self.unix);
        let local = self.unix + offset as i64;
        let days = local.div_euclid(86400);
        let secs = local.rem_euclid(86400);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            min: (secs % 3600 / 60) as u32,
            sec: (secs % 60) as u32,
            nsec: self.nsec,
            offset,
            weekday: (days + 4).rem_euclid(7) as u32,
            yday: DAYS_BEFORE[month as usize - 1] + day + u32::from(month > 2 && is_leap(year)),
        }
    }

    /// `AddDate(years, months, days)`.
    pub fn add_date(&self, years: i64, months: i64, days: i64) -> Time {
        let c = self.civil();
        date(
            c.year + years,
            c.month as i64 + months,
            c.day as i64 + days,
            c.hour as i64,
            c.min as i64,
            c.sec as i64,
            c.nsec as i64,
            self.loc.clone(),
        )
    }
}

// The layout's elements (Go's std* constants).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Std {
    None,
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    TZ,
    Iso8601TZ,
    Iso8601SecondsTZ,
    Iso8601ShortTZ,
    Iso8601ColonTZ,
    Iso8601ColonSecondsTZ,
    NumTZ,
    NumSecondsTz,
    NumShortTZ,
    NumColonTZ,
    NumColonSecondsTZ,
    /// `.000` / `,000`: exactly n digits; the separator.
    FracSecond0(usize, u8),
    /// `.999` / `,999`: up to n digits, trailing zeros dropped.
    FracSecond9(usize, u8),
}

fn starts_lower(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_lowercase)
}

fn is_digit(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(u8::is_ascii_digit)
}

/// Go's `nextStdChunk`: (prefix, element, rest) of a layout.
fn next_std_chunk(layout: &[u8]) -> (&[u8], Std, &[u8]) {
    let l = layout;
    let n = l.len();
    let has = |i: usize, s: &str| l[i..].starts_with(s.as_bytes());
    for i in 0..n {
        let c = l[i];
        match c {
            b'J' if has(i, "Jan") => {
                if has(i, "January") {
                    return (&l[..i], Std::LongMonth, &l[i + 7..]);
                }
                if !starts_lower(&l[i + 3..]) {
                    return (&l[..i], Std::Month, &l[i + 3..]);
                }
            }
            b'M' => {
                if has(i, "Mon") {
                    if has(i, "Monday") {
                        return (&l[..i], Std::LongWeekDay, &l[i + 6..]);
                    }
                    if !starts_lower(&l[i + 3..]) {
                        return (&l[..i], Std::WeekDay, &l[i + 3..]);
                    }
                }
                if has(i, "MST") {
                    return (&l[..i], Std::TZ, &l[i + 3..]);
                }
            }
            b'0' => {
                if i + 1 < n && (b'1'..=b'6').contains(&l[i + 1]) {
                    let std = [
                        Std::ZeroMonth,
                        Std::ZeroDay,
                        Std::ZeroHour12,
                        Std::ZeroMinute,
                        Std::ZeroSecond,
                        Std::Year,
                    ][(l[i + 1] - b'1') as usize];
                    return (&l[..i], std, &l[i + 2..]);
                }
                if has(i, "002") {
                    return (&l[..i], Std::ZeroYearDay, &l[i + 3..]);
                }
            }
            b'1' => {
                if has(i, "15") {
                    return (&l[..i], Std::Hour, &l[i + 2..]);
                }
                return (&l[..i], Std::NumMonth, &l[i + 1..]);
            }
            b'2' => {
                if has(i, "2006") {
                    return (&l[..i], Std::LongYear, &l[i + 4..]);
                }
                return (&l[..i], Std::Day, &l[i + 1..]);
            }
            b'_' => {
                if i + 1 < n && l[i + 1] == b'2' {
                    // _2006 is a literal _ then the year.
                    if has(i + 1, "2006") {
                        return (&l[..i + 1], Std::LongYear, &l[i + 5..]);
                    }
                    return (&l[..i], Std::UnderDay, &l[i + 2..]);
                }
                if has(i, "__2") {
                    return (&l[..i], Std::UnderYearDay, &l[i + 3..]);
                }
            }
            b'3' => return (&l[..i], Std::Hour12, &l[i + 1..]),
            b'4' => return (&l[..i], Std::Minute, &l[i + 1..]),
            b'5' => return (&l[..i], Std::Second, &l[i + 1..]),
            b'P' if has(i, "PM") => return (&l[..i], Std::PM, &l[i + 2..]),
            b'p' if has(i, "pm") => return (&l[..i], Std::Pm, &l[i + 2..]),
            b'-' => {
                for (s, std) in [
                    ("-070000", Std::NumSecondsTz),
                    ("-07:00:00", Std::NumColonSecondsTZ),
                    ("-0700", Std::NumTZ),
                    ("-07:00", Std::NumColonTZ),
                    ("-07", Std::NumShortTZ),
                ] {
                    if has(i, s) {
                        return (&l[..i], std, &l[i + s.len()..]);
                    }
                }
            }
            b'Z' => {
                for (s, std) in [
                    ("Z070000", Std::Iso8601SecondsTZ),
                    ("Z07:00:00", Std::Iso8601ColonSecondsTZ),
                    ("Z0700", Std::Iso8601TZ),
                    ("Z07:00", Std::Iso8601ColonTZ),
                    ("Z07", Std::Iso8601ShortTZ),
                ] {
                    if has(i, s) {
                        return (&l[..i], std, &l[i + s.len()..]);
                    }
                }
            }
            b'.' | b',' if i + 1 < n && (l[i + 1] == b'0' || l[i + 1] == b'9') => {
                let ch = l[i + 1];
                let mut j = i + 1;
                while j < n && l[j] == ch {
                    j += 1;
                }
                if !is_digit(l, j) {
                    let digits = j - (i + 1);
                    let std = if ch == b'0' {
                        Std::FracSecond0(digits, c)
                    } else {
                        Std::FracSecond9(digits, c)
                    };
                    return (&l[..i], std, &l[j..]);
                }
            }
            _ => {}
        }
    }
    (layout, Std::None, &[])
}

/// Go's `time.quote`.
fn quote(s: &[u8]) -> String {
    let mut out = String::from("\"");
    let text = String::from_utf8_lossy(s);
    for c in text.chars() {
        if c as u32 >= 0x80 || c < ' ' {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

struct ParseError<'a> {
    layout: &'a [u8],
    value: &'a [u8],
    layout_elem: &'a [u8],
    value_elem: &'a [u8],
    message: String,
}

impl ParseError<'_> {
    fn text(&self) -> String {
        if self.message.is_empty() {
            format!(
                "parsing time {} as {}: cannot parse {} as {}",
                quote(self.value),
                quote(self.layout),
                quote(self.value_elem),
                quote(self.layout_elem)
            )
        } else {
            format!("parsing time {}{}", quote(self.value), self.message)
        }
    }
}

/// Go's `leadingInt`: the leading digits as a number (error past int64), and the rest.
fn leading_int(s: &[u8]) -> Result<(i64, &[u8]), ()> {
    let mut x: i64 = 0;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if x > (i64::MAX - 9) / 10 {
            return Err(());
        }
        x = x * 10 + (s[i] - b'0') as i64;
        i += 1;
    }
    Ok((x, &s[i..]))
}

/// Go's `atoi` (a sign, then digits and nothing else).
fn atoi(s: &[u8]) -> Result<i64, ()> {
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (q, rem) = leading_int(s)?;
    if !rem.is_empty() || s.is_empty() {
        return Err(());
    }
    Ok(if neg { -q } else { q })
}

fn getnum(s: &[u8], fixed: bool) -> Result<(i64, &[u8]), ()> {
    if !is_digit(s, 0) {
        return Err(());
    }
    if !is_digit(s, 1) {
        if fixed {
            return Err(());
        }
        return Ok(((s[0] - b'0') as i64, &s[1..]));
    }
    Ok((((s[0] - b'0') * 10 + (s[1] - b'0')) as i64, &s[2..]))
}

fn getnum3(s: &[u8], fixed: bool) -> Result<(i64, &[u8]), ()> {
    let mut n = 0i64;
    let mut i = 0;
    while i < 3 && is_digit(s, i) {
        n = n * 10 + (s[i] - b'0') as i64;
        i += 1;
    }
    if i == 0 || (fixed && i != 3) {
        return Err(());
    }
    Ok((n, &s[i..]))
}

fn cutspace(mut s: &[u8]) -> &[u8] {
    while s.first() == Some(&b' ') {
        s = &s[1..];
    }
    s
}

fn skip<'v>(mut value: &'v [u8], mut prefix: &[u8]) -> Result<&'v [u8], &'v [u8]> {
    while !prefix.is_empty() {
        if prefix[0] == b' ' {
            if !value.is_empty() && value[0] != b' ' {
                return Err(value);
            }
            prefix = cutspace(prefix);
            value = cutspace(value);
            continue;
        }
        if value.is_empty() || value[0] != prefix[0] {
            return Err(value);
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Ok(value)
}

const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const SHORT_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const SHORT_DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Go's `lookup`: the first name that starts `value`, ASCII case-insensitively.
fn lookup<'v>(tab: &[&str], value: &'v [u8]) -> Result<(usize, &'v [u8]), ()> {
    for (i, name) in tab.iter().enumerate() {
        if value.len() >= name.len() && value[..name.len()].eq_ignore_ascii_case(name.as_bytes()) {
            return Ok((i, &value[name.len()..]));
        }
    }
    Err(())
}

fn comma_or_period(b: u8) -> bool {
    b == b'.' || b == b','
}

/// Go's `parseNanoseconds`: (nanoseconds, range error).
fn parse_nanoseconds(value: &[u8], nbytes: usize) -> Result<(i64, &'static str), ()> {
    if !comma_or_period(value[0]) {
        return Err(());
    }
    let nbytes = nbytes.min(10);
    let ns = atoi(&value[1..nbytes])?;
    if ns < 0 {
        return Ok((0, "fractional second"));
    }
    let mut ns = ns;
    for _ in 0..10 - nbytes {
        ns *= 10;
    }
    Ok((ns, ""))
}

fn parse_signed_offset(value: &[u8]) -> usize {
    let sign = value[0];
    if sign != b'-' && sign != b'+' {
        return 0;
    }
    match leading_int(&value[1..]) {
        Ok((x, rem)) if rem.len() != value.len() - 1 && x <= 24 => value.len() - rem.len(),
        _ => 0,
    }
}

fn parse_time_zone(value: &[u8]) -> Option<usize> {
    if value.len() < 3 {
        return None;
    }
    if value.starts_with(b"ChST") || value.starts_with(b"MeST") {
        return Some(4);
    }
    if value.starts_with(b"GMT") {
        let rest = &value[3..];
        return Some(if rest.is_empty() {
            3
        } else {
            3 + parse_signed_offset(rest)
        });
    }
    if value[0] == b'+' || value[0] == b'-' {
        let n = parse_signed_offset(value);
        return (n > 0).then_some(n);
    }
    let mut upper = 0;
    while upper < 6 && upper < value.len() && value[upper].is_ascii_uppercase() {
        upper += 1;
    }
    match upper {
        5 if value[4] == b'T' => Some(5),
        4 if value[3] == b'T' || value.starts_with(b"WITA") => Some(4),
        3 => Some(3),
        _ => None,
    }
}

/// `time.Parse(layout, value)`.
pub fn parse(layout: &str, value: &str) -> Result<Time, String> {
    parse_with(layout, value, Location::Utc, Location::Utc)
}

/// `time.ParseInLocation(layout, value, loc)`.
pub fn parse_in_location(layout: &str, value: &str, loc: &Location) -> Result<Time, String> {
    parse_with(layout, value, loc.clone(), loc.clone())
}

fn parse_with(
    layout_str: &str,
    value_str: &str,
    default: Location,
    local: Location,
) -> Result<Time, String> {
    let alayout = layout_str.as_bytes();
    let avalue = value_str.as_bytes();
    let mut layout = alayout;
    let mut value = avalue;
    let err = |layout_elem: &[u8], value_elem: &[u8], message: String| {
        ParseError {
            layout: alayout,
            value: avalue,
            layout_elem,
            value_elem,
            message,
        }
        .text()
    };
    let (mut am, mut pm) = (false, false);
    let (mut year, mut month, mut day, mut yday) = (0i64, -1i64, -1i64, -1i64);
    let (mut hour, mut min, mut sec, mut nsec) = (0i64, 0i64, 0i64, 0i64);
    let mut z: Option<Location> = None;
    let mut zone_offset: i64 = -1;
    let mut zone_name: Vec<u8> = Vec::new();
    loop {
        let (prefix, std, suffix) = next_std_chunk(layout);
        let stdstr = &layout[prefix.len()..layout.len() - suffix.len()];
        value = match skip(value, prefix) {
            Ok(v) => v,
            Err(v) => return Err(err(prefix, v, String::new())),
        };
        if std == Std::None {
            if !value.is_empty() {
                return Err(err(b"", value, format!(": extra text: {}", quote(value))));
            }
            break;
        }
        layout = suffix;
        let hold = value;
        let mut range_err = "";
        let result: Result<(), ()> = (|| {
            match std {
                Std::Year => {
                    if value.len() < 2 {
                        return Err(());
                    }
                    let p = &value[..2];
                    value = &value[2..];
                    year = atoi(p)?;
                    year += if year >= 69 { 1900 } else { 2000 };
                }
                Std::LongYear => {
                    if value.len() < 4 || !is_digit(value, 0) {
                        return Err(());
                    }
                    let p = &value[..4];
                    value = &value[4..];
                    year = atoi(p)?;
                }
                Std::Month | Std::LongMonth => {
                    let tab: &[&str] = if std == Std::Month {
                        &SHORT_MONTHS
                    } else {
                        &LONG_MONTHS
                    };
                    let (m, rest) = lookup(tab, value)?;
                    month = m as i64 + 1;
                    value = rest;
                }
                Std::NumMonth | Std::ZeroMonth => {
                    let (m, rest) = getnum(value, std == Std::ZeroMonth)?;
                    month = m;
                    value = rest;
                    if !(1..=12).contains(&month) {
                        range_err = "month";
                    }
                }
                Std::WeekDay | Std::LongWeekDay => {
                    let tab: &[&str] = if std == Std::WeekDay {
                        &SHORT_DAYS
                    } else {
                        &LONG_DAYS
                    };
                    value = lookup(tab, value)?.1;
                }
                Std::Day | Std::UnderDay | Std::ZeroDay => {
                    if std == Std::UnderDay && value.first() == Some(&b' ') {
                        value = &value[1..];
                    }
                    let (d, rest) = getnum(value, std == Std::ZeroDay)?;
                    day = d;
                    value = rest;
                }
                Std::UnderYearDay | Std::ZeroYearDay => {
                    for _ in 0..2 {
                        if std == Std::UnderYearDay && value.first() == Some(&b' ') {
                            value = &value[1..];
                        }
                    }
                    let (d, rest) = getnum3(value, std == Std::ZeroYearDay)?;
                    yday = d;
                    value = rest;
                }
                Std::Hour => {
                    let (h, rest) = getnum(value, false)?;
                    hour = h;
                    value = rest;
                    if !(0..24).contains(&hour) {
                        range_err = "hour";
                    }
                }
                Std::Hour12 | Std::ZeroHour12 => {
                    let (h, rest) = getnum(value, std == Std::ZeroHour12)?;
                    hour = h;
                    value = rest;
                    if !(0..=12).contains(&hour) {
                        range_err = "hour";
                    }
                }
                Std::Minute | Std::ZeroMinute => {
                    let (m, rest) = getnum(value, std == Std::ZeroMinute)?;
                    min = m;
                    value = rest;
                    if !(0..60).contains(&min) {
                        range_err = "minute";
                    }
                }
                Std::Second | Std::ZeroSecond => {
                    let (s, rest) = getnum(value, std == Std::ZeroSecond)?;
                    sec = s;
                    value = rest;
                    if !(0..60).contains(&sec) {
                        range_err = "second";
                        return Ok(());
                    }
                    // A fractional second in the value that the layout does not have.
                    if value.len() >= 2 && comma_or_period(value[0]) && is_digit(value, 1) {
                        let (_, next, _) = next_std_chunk(layout);
                        if matches!(next, Std::FracSecond0(..) | Std::FracSecond9(..)) {
                            return Ok(());
                        }
                        let mut n = 2;
                        while n < value.len() && is_digit(value, n) {
                            n += 1;
                        }
                        let (ns, r) = parse_nanoseconds(value, n)?;
                        nsec = ns;
                        range_err = r;
                        value = &value[n..];
                    }
                }
                Std::PM | Std::Pm => {
                    if value.len() < 2 {
                        return Err(());
                    }
                    let p = &value[..2];
                    value = &value[2..];
                    let (pm_s, am_s): (&[u8], &[u8]) = if std == Std::PM {
                        (b"PM", b"AM")
                    } else {
                        (b"pm", b"am")
                    };
                    if p == pm_s {
                        pm = true;
                    } else if p == am_s {
                        am = true;
                    } else {
                        return Err(());
                    }
                }
                Std::Iso8601TZ
                | Std::Iso8601ShortTZ
                | Std::Iso8601ColonTZ
                | Std::Iso8601SecondsTZ
                | Std::Iso8601ColonSecondsTZ
                | Std::NumTZ
                | Std::NumShortTZ
                | Std::NumColonTZ
                | Std::NumSecondsTz
                | Std::NumColonSecondsTZ => {
                    let iso = matches!(
                        std,
                        Std::Iso8601TZ
                            | Std::Iso8601ShortTZ
                            | Std::Iso8601ColonTZ
                            | Std::Iso8601SecondsTZ
                            | Std::Iso8601ColonSecondsTZ
                    );
                    if iso && value.first() == Some(&b'Z') {
                        value = &value[1..];
                        z = Some(Location::Utc);
                        return Ok(());
                    }
                    let (sign, hh, mm, ss): (u8, &[u8], &[u8], &[u8]);
                    match std {
                        Std::Iso8601ColonTZ | Std::NumColonTZ => {
                            if value.len() < 6 || value[3] != b':' {
                                return Err(());
                            }
                            (sign, hh, mm, ss) = (value[0], &value[1..3], &value[4..6], b"00");
                            value = &value[6..];
                        }
                        Std::NumShortTZ | Std::Iso8601ShortTZ => {
                            if value.len() < 3 {
                                return Err(());
                            }
                            (sign, hh, mm, ss) = (value[0], &value[1..3], b"00", b"00");
                            value = &value[3..];
                        }
                        Std::Iso8601ColonSecondsTZ | Std::NumColonSecondsTZ => {
                            if value.len() < 9 || value[3] != b':' || value[6] != b':' {
                                return Err(());
                            }
                            (sign, hh, mm, ss) =
                                (value[0], &value[1..3], &value[4..6], &value[7..9]);
                            value = &value[9..];
                        }
                        Std::Iso8601SecondsTZ | Std::NumSecondsTz => {
                            if value.len() < 7 {
                                return Err(());
                            }
                            (sign, hh, mm, ss) =
                                (value[0], &value[1..3], &value[3..5], &value[5..7]);
                            value = &value[7..];
                        }
                        _ => {
                            if value.len() < 5 {
                                return Err(());
                            }
                            (sign, hh, mm, ss) = (value[0], &value[1..3], &value[3..5], b"00");
                            value = &value[5..];
                        }
                    }
                    let hr = getnum(hh, true)?.0;
                    let mn = getnum(mm, true)?.0;
                    let sc = getnum(ss, true)?.0;
                    if hr > 24 {
                        range_err = "time zone offset hour";
                    }
                    if mn > 60 {
                        range_err = "time zone offset minute";
                    }
                    if sc > 60 {
                        range_err = "time zone offset second";
                    }
                    zone_offset = (hr * 60 + mn) * 60 + sc;
                    match sign {
                        b'+' => {}
                        b'-' => zone_offset = -zone_offset,
                        _ => return Err(()),
                    }
                }
                Std::TZ => {
                    if value.starts_with(b"UTC") {
                        z = Some(Location::Utc);
                        value = &value[3..];
                        return Ok(());
                    }
                    let n = parse_time_zone(value).ok_or(())?;
                    zone_name = value[..n].to_vec();
                    value = &value[n..];
                }
                Std::FracSecond0(digits, _) => {
                    let ndigit = 1 + digits;
                    if value.len() < ndigit {
                        return Err(());
                    }
                    let (ns, r) = parse_nanoseconds(value, ndigit)?;
                    nsec = ns;
                    range_err = r;
                    value = &value[ndigit..];
                }
                Std::FracSecond9(..) => {
                    if value.len() < 2 || !comma_or_period(value[0]) || !value[1].is_ascii_digit() {
                        return Ok(());
                    }
                    let mut i = 0;
                    while i + 1 < value.len() && value[i + 1].is_ascii_digit() {
                        i += 1;
                    }
                    let (ns, r) = parse_nanoseconds(value, 1 + i)?;
                    nsec = ns;
                    range_err = r;
                    value = &value[1 + i..];
                }
                Std::None => unreachable!("handled above"),
            }
            Ok(())
        })();
        if !range_err.is_empty() {
            return Err(err(stdstr, value, format!(": {range_err} out of range")));
        }
        if result.is_err() {
            return Err(err(stdstr, hold, String::new()));
        }
    }
    if pm && hour < 12 {
        hour += 12;
    } else if am && hour == 12 {
        hour = 0;
    }
    if yday >= 0 {
        let mut d = 0i64;
        let mut m = 0i64;
        if is_leap(year) {
            if yday == 31 + 29 {
                m = 2;
                d = 29;
            } else if yday > 31 + 29 {
                yday -= 1;
            }
        }
        if !(1..=365).contains(&yday) {
            return Err(err(b"", value, ": day-of-year out of range".to_string()));
        }
        if m == 0 {
            m = (yday - 1) / 31 + 1;
            if (DAYS_BEFORE[m as usize] as i64) < yday {
                m += 1;
            }
            d = yday - DAYS_BEFORE[m as usize - 1] as i64;
        }
        if month >= 0 && month != m {
            return Err(err(
                b"",
                value,
                ": day-of-year does not match month".to_string(),
            ));
        }
        month = m;
        if day >= 0 && day != d {
            return Err(err(
                b"",
                value,
                ": day-of-year does not match day".to_string(),
            ));
        }
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    if day < 1 || day > days_in(month as u32, year) as i64 {
        return Err(err(b"", value, ": day out of range".to_string()));
    }
    if let Some(z) = z {
        return Ok(date(year, month, day, hour, min, sec, nsec, z));
    }
    let zone_name = String::from_utf8_lossy(&zone_name).into_owned();
    if zone_offset != -1 {
        let mut t = date(year, month, day, hour, min, sec, nsec, Location::Utc);
        t.unix -= zone_offset;
        let (name, offset) = local.lookup(t.unix);
        if offset as i64 == zone_offset && (zone_name.is_empty() || name == zone_name) {
            t.loc = local;
            return Ok(t);
        }
        t.loc = Location::Fixed {
            name: zone_name.into(),
            offset: zone_offset as i32,
        };
        return Ok(t);
    }
    if !zone_name.is_empty() {
        let mut t = date(year, month, day, hour, min, sec, nsec, Location::Utc);
        if let Some(offset) = local.lookup_name(&zone_name, t.unix) {
            t.unix -= offset as i64;
            t.loc = local;
            return Ok(t);
        }
        let mut offset = 0;
        if zone_name.len() > 3 && zone_name.starts_with("GMT") {
            offset = atoi(&zone_name.as_bytes()[3..]).unwrap_or(0) as i32 * 3600;
        }
        // As Go: the wall time is read as UTC and only shown at the offset (the instant is not moved).
        t.loc = Location::Fixed {
            name: zone_name.into(),
            offset,
        };
        return Ok(t);
    }
    Ok(date(year, month, day, hour, min, sec, nsec, default))
}

/// `Time.Format(layout)`.
pub fn format(t: &Time, layout: &str) -> String {
    let c = t.civil();
    let mut out = String::new();
    let mut l = layout.as_bytes();
    let (abbr, _) = t.loc.lookup(t.unix);
    loop {
        let (prefix, std, suffix) = next_std_chunk(l);
        out.push_str(&String::from_utf8_lossy(prefix));
        if std == Std::None {
            break;
        }
        l = suffix;
        let hour12 = match c.hour % 12 {
            0 => 12,
            h => h,
        };
        match std {
            Std::Year => out.push_str(&format!("{:02}", c.year.rem_euclid(100))),
            Std::LongYear => {
                if c.year < 0 {
                    out.push_str(&format!("-{:04}", -c.year));
                } else {
                    out.push_str(&format!("{:04}", c.year));
                }
            }
            Std::Month => out.push_str(SHORT_MONTHS[c.month as usize - 1]),
            Std::LongMonth => out.push_str(LONG_MONTHS[c.month as usize - 1]),
            Std::NumMonth => out.push_str(&c.month.to_string()),
            Std::ZeroMonth => out.push_str(&format!("{:02}", c.month)),
            Std::WeekDay => out.push_str(SHORT_DAYS[c.weekday as usize]),
            Std::LongWeekDay => out.push_str(LONG_DAYS[c.weekday as usize]),
            Std::Day => out.push_str(&c.day.to_string()),
            Std::UnderDay => out.push_str(&format!("{:>2}", c.day)),
            Std::ZeroDay => out.push_str(&format!("{:02}", c.day)),
            Std::UnderYearDay => out.push_str(&format!("{:>3}", c.yday)),
            Std::ZeroYearDay => out.push_str(&format!("{:03}", c.yday)),
            Std::Hour => out.push_str(&format!("{:02}", c.hour)),
            Std::Hour12 => out.push_str(&hour12.to_string()),
            Std::ZeroHour12 => out.push_str(&format!("{hour12:02}")),
            Std::Minute => out.push_str(&c.min.to_string()),
            Std::ZeroMinute => out.push_str(&format!("{:02}", c.min)),
            Std::Second => out.push_str(&c.sec.to_string()),
            Std::ZeroSecond => out.push_str(&format!("{:02}", c.sec)),
            Std::PM => out.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
            Std::Pm => out.push_str(if c.hour >= 12 { "pm" } else { "am" }),
            Std::Iso8601TZ
            | Std::Iso8601ColonTZ
            | Std::Iso8601SecondsTZ
            | Std::Iso8601ShortTZ
            | Std::Iso8601ColonSecondsTZ
            | Std::NumTZ
            | Std::NumColonTZ
            | Std::NumSecondsTz
            | Std::NumShortTZ
            | Std::NumColonSecondsTZ => {
                let iso = matches!(
                    std,
                    Std::Iso8601TZ
                        | Std::Iso8601ColonTZ
                        | Std::Iso8601SecondsTZ
                        | Std::Iso8601ShortTZ
                        | Std::Iso8601ColonSecondsTZ
                );
                if iso && c.offset == 0 {
                    out.push('Z');
                    continue;
                }
                let mut zone = c.offset / 60;
                let mut absoffset = c.offset;
                if zone < 0 {
                    out.push('-');
                    zone = -zone;
                    absoffset = -absoffset;
                } else {
                    out.push('+');
                }
                out.push_str(&format!("{:02}", zone / 60));
                if matches!(
                    std,
                    Std::Iso8601ColonTZ
                        | Std::NumColonTZ
                        | Std::Iso8601ColonSecondsTZ
                        | Std::NumColonSecondsTZ
                ) {
                    out.push(':');
                }
                if !matches!(std, Std::NumShortTZ | Std::Iso8601ShortTZ) {
                    out.push_str(&format!("{:02}", zone % 60));
                }
                if matches!(
                    std,
                    Std::Iso8601SecondsTZ
                        | Std::NumSecondsTz
                        | Std::NumColonSecondsTZ
                        | Std::Iso8601ColonSecondsTZ
                ) {
                    if matches!(std, Std::NumColonSecondsTZ | Std::Iso8601ColonSecondsTZ) {
                        out.push(':');
                    }
                    out.push_str(&format!("{:02}", absoffset % 60));
                }
            }
            Std::TZ => {
                if !abbr.is_empty() {
                    out.push_str(&abbr);
                } else {
                    // No name: -0700 style, as Go does.
                    let mut zone = c.offset / 60;
                    if zone < 0 {
                        out.push('-');
                        zone = -zone;
                    } else {
                        out.push('+');
                    }
                    out.push_str(&format!("{:02}{:02}", zone / 60, zone % 60));
                }
            }
            Std::FracSecond0(n, sep) => {
                out.push(sep as char);
                let digits = format!("{:09}", c.nsec);
                out.push_str(&digits[..n.min(9)]);
                for _ in 9..n {
                    out.push('0');
                }
            }
            Std::FracSecond9(n, sep) => {
                let digits = format!("{:09}", c.nsec);
                let mut d = &digits[..n.min(9)];
                d = d.trim_end_matches('0');
                if !d.is_empty() {
                    out.push(sep as char);
                    out.push_str(d);
                }
            }
            Std::None => unreachable!("handled above"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_and_friends() {
        let t = parse(
            "2006-01-02T15:04:05Z07:00",
            "2019-10-01T01:02:03.123456789+02:00",
        )
        .unwrap();
        assert_eq!(t.unix_nano(), 1569884523123456789);
        assert_eq!(
            format(&t, "2006-01-02T15:04:05.999999999Z07:00"),
            "2019-10-01T01:02:03.123456789+02:00"
        );
        let e = parse("2006-01-02", "2019-13-01").unwrap_err();
        assert_eq!(e, "parsing time \"2019-13-01\": month out of range");
        let e = parse("2006-01-02", "2019/10/01").unwrap_err();
        assert_eq!(
            e,
            "parsing time \"2019/10/01\" as \"2006-01-02\": cannot parse \"/10/01\" as \"-\""
        );
    }

    #[test]
    fn locations() {
        let ny = load_location("America/New_York").unwrap();
        let t = parse_in_location("2006-01-02 15:04:05", "2024-07-01 12:00:00", &ny).unwrap();
        assert_eq!(t.unix, 1719849600);
        assert_eq!(
            load_location("Nowhere/City").unwrap_err(),
            "unknown time zone Nowhere/City"
        );
    }
}
