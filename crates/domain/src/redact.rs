//! Redaction of personal numbers from free text before it reaches a log line.
//!
//! Logs never contain citizen identity numbers (9 or 12 digits), phone numbers or passwords.
//! Structured fields are chosen so that they never carry such values; free text that may
//! contain user input goes through [`redact`] first.

/// Replaces every run of 8 or more digits (allowing `.`, `-` or space between them and a
/// leading `+`) with `[redacted]`. Shorter numbers (years, counts) are kept.
pub fn redact(input: &str) -> String {
    let chars: Vec<char> = input.chars().collect();
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        let mut digits = 0;
        let mut end = i;
        let mut j = i;
        if chars.get(j) == Some(&'+') {
            j += 1;
        }
        while let Some(c) = chars.get(j) {
            if c.is_ascii_digit() {
                digits += 1;
                j += 1;
                end = j;
            } else if matches!(c, '.' | '-' | ' ')
                && chars.get(j + 1).is_some_and(char::is_ascii_digit)
                && digits > 0
            {
                j += 1;
            } else {
                break;
            }
        }
        if digits >= 8 {
            out.push_str("[redacted]");
            i = end;
        } else {
            if let Some(c) = chars.get(start) {
                out.push(*c);
            }
            i = start + 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn identity_and_phone_numbers_are_removed() {
        assert_eq!(redact("user 092095001234 failed"), "user [redacted] failed");
        assert_eq!(redact("call +84 912 345 678 now"), "call [redacted] now");
        assert_eq!(redact("call 0912.345.678"), "call [redacted]");
        assert_eq!(redact("year 2025, 3 items"), "year 2025, 3 items");
        assert_eq!(redact("Hà Nội 123456789"), "Hà Nội [redacted]");
    }
}
