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

/// The writing system of a letter, for the scripts that look alike (homoglyphs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
}

fn script_of(c: char) -> Option<Script> {
    match c {
        'A'..='Z' | 'a'..='z' | '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => {
            Some(Script::Latin)
        }
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Some(Script::Greek),
        '\u{0400}'..='\u{052F}' => Some(Script::Cyrillic),
        _ => None,
    }
}

/// The first word of `s` that mixes Latin, Greek or Cyrillic letters — a name written with
/// a look-alike letter (Cyrillic `о` in `Nguyễn Vоn`) that would not match the same name typed
/// honestly. Words in one script, and different words in different scripts, are fine.
pub fn mixed_script_word(s: &str) -> Option<&str> {
    s.split(|c: char| !c.is_alphanumeric() && !is_combining(c))
        .find(|word| {
            let mut seen: Option<Script> = None;
            word.chars().filter_map(script_of).any(|sc| {
                let mixed = seen.is_some_and(|first| first != sc);
                seen.get_or_insert(sc);
                mixed
            })
        })
}

fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

#[cfg(test)]
mod script_tests {
    use super::mixed_script_word;

    #[test]
    fn a_look_alike_letter_inside_a_word_is_found() {
        assert_eq!(mixed_script_word("Nguyễn Văn An"), None);
        assert_eq!(
            mixed_script_word("Иван Petrov"),
            None,
            "one script per word"
        );
        assert_eq!(
            mixed_script_word("Nguyễn V\u{0430}n An"),
            Some("V\u{0430}n")
        );
        assert_eq!(
            mixed_script_word("Αlpha"),
            Some("Αlpha"),
            "Greek capital alpha"
        );
        assert_eq!(mixed_script_word("12 Hòa Bình, P. 3"), None);
    }
}
