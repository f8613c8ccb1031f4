//! Text hygiene: every string the platform stores is NFC-normalised.

use unicode_normalization::{UnicodeNormalization, is_nfc};

/// Returns `s` in Unicode normalisation form C, trimmed of surrounding whitespace.
pub fn nfc(s: &str) -> String {
    let t = s.trim();
    if is_nfc(t) {
        t.to_owned()
    } else {
        t.nfc().collect()
    }
}

/// Folds Vietnamese text for comparisons that ignore diacritics and case:
/// NFC first, then strip combining marks, map `đ`/`Đ` to `d`, lower-case.
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfd_input_becomes_nfc() {
        let nfd: String = "Cần Thơ".nfd().collect();
        assert_ne!(nfd, "Cần Thơ");
        assert_eq!(nfc(&nfd), "Cần Thơ");
    }

    #[test]
    fn folding_removes_diacritics_and_d_bar() {
        assert_eq!(fold("Đồng Tháp"), "dong thap");
        assert_eq!(fold("Cấp giấy phép xây dựng"), "cap giay phep xay dung");
    }
}
