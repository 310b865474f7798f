//! Sizes, speeds and durations as people read them: "1.7 GB", "4.2 MB/s", "about 2 min left".
//! Decimal units (kB, MB, GB), as the Hugging Face hub lists file sizes.

/// "0 bytes", "512 bytes", "12.3 kB", "145 MB", "1.71 GB": three significant digits from kB up.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return if n == 1 { "1 byte".to_string() } else { format!("{n} bytes") };
    }
    let mut value = n as f64;
    let mut unit = "";
    for u in UNITS {
        value /= 1000.0;
        unit = u;
        if value < 999.5 {
            break;
        }
    }
    format!("{} {unit}", three_digits(value))
}

/// Bytes per second, "4.2 MB/s".
pub fn speed(bytes_per_second: f64) -> String {
    if !bytes_per_second.is_finite() || bytes_per_second <= 0.0 {
        return "0 bytes/s".to_string();
    }
    format!("{}/s", bytes(bytes_per_second.round() as u64))
}

/// A rough remaining time: "less than 1 s", "12 s", "3 min 5 s", "1 h 4 min".
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "unknown".to_string();
    }
    if seconds < 1.0 {
        return "less than 1 s".to_string();
    }
    let s = seconds.round() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 if s.is_multiple_of(60) => format!("{} min", s / 60),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// A count with thousands separators: 134515008 -> "134,515,008".
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A parameter count as model cards write it: "135M", "1.24B".
pub fn params(n: u64) -> String {
    if n >= 1_000_000_000 {
        format!("{}B", three_digits(n as f64 / 1e9))
    } else if n >= 1_000_000 {
        format!("{}M", three_digits(n as f64 / 1e6))
    } else if n >= 1000 {
        format!("{}K", three_digits(n as f64 / 1e3))
    } else {
        n.to_string()
    }
}

fn three_digits(value: f64) -> String {
    let text = if value < 9.995 {
        format!("{value:.2}")
    } else if value < 99.95 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    };
    // "1.50" reads better as "1.5", "2.00" as "2".
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_sizes_are_counted_in_bytes() {
        assert_eq!(bytes(0), "0 bytes");
        assert_eq!(bytes(1), "1 byte");
        assert_eq!(bytes(999), "999 bytes");
    }

    #[test]
    fn large_sizes_use_decimal_units_with_three_digits() {
        assert_eq!(bytes(1000), "1 kB");
        assert_eq!(bytes(12_345), "12.3 kB");
        assert_eq!(bytes(145_000_000), "145 MB");
        assert_eq!(bytes(1_710_000_000), "1.71 GB");
        assert_eq!(bytes(999_600), "1 MB");
    }

    #[test]
    fn speeds_are_sizes_per_second() {
        assert_eq!(speed(4_200_000.0), "4.2 MB/s");
        assert_eq!(speed(f64::NAN), "0 bytes/s");
    }

    #[test]
    fn durations_round_to_readable_units() {
        assert_eq!(duration(0.2), "less than 1 s");
        assert_eq!(duration(12.4), "12 s");
        assert_eq!(duration(185.0), "3 min 5 s");
        assert_eq!(duration(120.0), "2 min");
        assert_eq!(duration(3840.0), "1 h 4 min");
        assert_eq!(duration(f64::INFINITY), "unknown");
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(134_515_008), "134,515,008");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
    }

    #[test]
    fn parameter_counts_read_like_model_cards() {
        assert_eq!(params(134_515_008), "135M");
        assert_eq!(params(1_235_814_400), "1.24B");
        assert_eq!(params(2_614_341_888), "2.61B");
    }
}
