//! The catalog search index, held in memory and rebuilt from the database on start.
//!
//! Text is normalised to NFC and lower-cased for exact matching, and additionally folded
//! (diacritics removed, đ → d) for matching without diacritics. Every query word must match
//! the name, field or code; matches with the exact diacritics, whole-phrase matches and name
//! matches rank higher. If no procedure matches every word, procedures matching some words
//! are returned, best first.
//!
//! An inverted index from each folded word of the names and fields to the procedures holding
//! it narrows a query to its candidates, so that only those are scored.

use std::{collections::BTreeMap, ops::Bound, sync::RwLock};

use lienthong_domain::{
    catalog::{OnlineMode, Procedure, ProcedureLevel},
    text::{fold, nfc},
};

/// What a search result shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// National code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Field code.
    pub field_code: String,
    /// Field name.
    pub field_name: String,
    /// Receiving agencies.
    pub agency_codes: Vec<String>,
    /// Level.
    pub level: ProcedureLevel,
    /// Processing time in working days.
    pub processing_days: f64,
    /// Online level 1–4.
    pub online_level: u8,
    /// Online mode.
    pub online_mode: OnlineMode,
}

struct Entry {
    summary: Summary,
    name_exact: String,
    name_folded: String,
    name_words_exact: Vec<String>,
    name_words: Vec<String>,
    field_words: Vec<String>,
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn exact(s: &str) -> String {
    nfc(s).to_lowercase()
}

impl Entry {
    fn new(p: &Procedure) -> Entry {
        let name_exact = exact(&p.name);
        Entry {
            name_folded: fold(&name_exact),
            name_words_exact: words(&name_exact),
            name_words: words(&fold(&name_exact)),
            field_words: words(&fold(&p.field.name)),
            name_exact,
            summary: Summary {
                code: p.code.clone(),
                name: p.name.clone(),
                field_code: p.field.code.clone(),
                field_name: p.field.name.clone(),
                agency_codes: p.agency_codes.clone(),
                level: p.level,
                processing_days: p.processing_time.as_days(),
                online_level: p.online_level,
                online_mode: p.online_mode,
            },
        }
    }
}

/// Filters and words of a search.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Words, with or without diacritics.
    pub q: Option<String>,
    /// Field code.
    pub field: Option<String>,
    /// Agency code.
    pub agency: Option<String>,
    /// Level.
    pub level: Option<ProcedureLevel>,
}

/// The entries, sorted by code, and the postings of their words.
#[derive(Default)]
struct Indexed {
    entries: Vec<Entry>,
    /// Folded word → positions in `entries` of the procedures whose name or field holds it,
    /// ascending.
    postings: BTreeMap<String, Vec<usize>>,
}

impl Indexed {
    fn new(mut entries: Vec<Entry>) -> Indexed {
        entries.sort_by(|a, b| a.summary.code.cmp(&b.summary.code));
        let mut postings: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, e) in entries.iter().enumerate() {
            for w in e.name_words.iter().chain(&e.field_words) {
                let list = postings.entry(w.clone()).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        Indexed { entries, postings }
    }

    /// Positions of the procedures that can match: those holding one of the words (the last
    /// one also as a prefix, as the scoring allows) or whose code is the query.
    fn candidates(&self, q_words: &[String], code: &str) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for (i, w) in q_words.iter().enumerate() {
            if i + 1 == q_words.len() && w.len() >= 2 {
                for (key, list) in self
                    .postings
                    .range::<str, _>((Bound::Included(w.as_str()), Bound::Unbounded))
                {
                    if !key.starts_with(w.as_str()) {
                        break;
                    }
                    out.extend(list);
                }
            } else if let Some(list) = self.postings.get(w) {
                out.extend(list);
            }
        }
        if let Ok(i) = self
            .entries
            .binary_search_by(|e| e.summary.code.as_str().cmp(code))
        {
            out.push(i);
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The index.
#[derive(Default)]
pub struct SearchIndex {
    indexed: RwLock<Indexed>,
}

impl SearchIndex {
    /// Replaces the whole content.
    pub fn replace_all(&self, procedures: &[Procedure]) {
        let fresh = Indexed::new(procedures.iter().map(Entry::new).collect());
        if let Ok(mut e) = self.indexed.write() {
            *e = fresh;
        }
    }

    /// Adds or replaces one procedure (the postings are rebuilt: catalog edits are rare).
    pub fn upsert(&self, p: &Procedure) {
        if let Ok(mut ix) = self.indexed.write() {
            let mut entries = std::mem::take(&mut ix.entries);
            entries.retain(|e| e.summary.code != p.code);
            entries.push(Entry::new(p));
            *ix = Indexed::new(entries);
        }
    }

    /// Removes a procedure.
    pub fn remove(&self, code: &str) {
        if let Ok(mut ix) = self.indexed.write() {
            let mut entries = std::mem::take(&mut ix.entries);
            entries.retain(|e| e.summary.code != code);
            *ix = Indexed::new(entries);
        }
    }

    /// Fields present in the index: code, name and number of procedures, by name.
    pub fn fields(&self) -> Vec<(String, String, usize)> {
        let Ok(ix) = self.indexed.read() else {
            return Vec::new();
        };
        let mut out: Vec<(String, String, usize)> = Vec::new();
        for e in &ix.entries {
            match out.iter_mut().find(|f| f.0 == e.summary.field_code) {
                Some(f) => f.2 += 1,
                None => out.push((
                    e.summary.field_code.clone(),
                    e.summary.field_name.clone(),
                    1,
                )),
            }
        }
        out.sort_by(|a, b| a.1.cmp(&b.1));
        out
    }

    /// Number of procedures indexed.
    pub fn len(&self) -> usize {
        self.indexed.read().map(|ix| ix.entries.len()).unwrap_or(0)
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs a query; returns one page of results and the total number of matches.
    pub fn search(&self, query: &Query, offset: usize, limit: usize) -> (Vec<Summary>, usize) {
        let Ok(ix) = self.indexed.read() else {
            return (Vec::new(), 0);
        };
        let q_exact = query.q.as_deref().map(exact).unwrap_or_default();
        let q_words_exact = words(&q_exact);
        let q_folded = fold(&q_exact);
        let q_words = words(&q_folded);
        let keep = |e: &&Entry| {
            query
                .field
                .as_ref()
                .is_none_or(|f| &e.summary.field_code == f)
                && query
                    .agency
                    .as_ref()
                    .is_none_or(|a| e.summary.agency_codes.contains(a))
                && query.level.is_none_or(|l| e.summary.level == l)
        };
        if q_words.is_empty() {
            let all: Vec<&Entry> = ix.entries.iter().filter(keep).collect();
            let total = all.len();
            let mut sorted = all;
            sorted.sort_by(|a, b| {
                a.summary
                    .field_name
                    .cmp(&b.summary.field_name)
                    .then(a.summary.name.cmp(&b.summary.name))
            });
            return (
                sorted
                    .into_iter()
                    .skip(offset)
                    .take(limit)
                    .map(|e| e.summary.clone())
                    .collect(),
                total,
            );
        }
        let mut scored: Vec<(i64, usize, &Entry)> = Vec::new();
        let mut partial: Vec<(i64, usize, &Entry)> = Vec::new();
        let candidates = ix
            .candidates(&q_words, q_exact.trim())
            .into_iter()
            .filter_map(|i| ix.entries.get(i))
            .filter(keep);
        for e in candidates {
            let code_hit = e.summary.code == q_exact.trim();
            let mut matched = 0;
            let mut score: i64 = 0;
            for (i, w) in q_words.iter().enumerate() {
                let last = i + 1 == q_words.len();
                let in_name = e
                    .name_words
                    .iter()
                    .any(|n| n == w || (last && w.len() >= 2 && n.starts_with(w.as_str())));
                let in_field = e.field_words.iter().any(|n| n == w);
                if in_name {
                    score += 10;
                    if q_words_exact
                        .get(i)
                        .is_some_and(|x| e.name_words_exact.contains(x))
                    {
                        score += 4;
                    }
                }
                if in_field {
                    score += 3;
                }
                if in_name || in_field {
                    matched += 1;
                }
            }
            if code_hit {
                score += 1000;
                matched = q_words.len();
            }
            if let Some(at) = e.name_folded.find(&q_folded) {
                // The earlier the phrase stands in the name, the more the name is about it.
                let words_before = e.name_folded.get(..at).map_or(0, |s| words(s).len());
                score += 30 - 3 * i64::try_from(words_before.min(8)).unwrap_or(8);
                if e.name_exact.contains(&q_exact) {
                    score += 15;
                }
                if e.name_folded.starts_with(&q_folded) {
                    score += 10;
                }
            }
            let length_penalty = e.name_words.len();
            if matched == q_words.len() {
                scored.push((score, length_penalty, e));
            } else if matched > 0 {
                partial.push((score, length_penalty, e));
            }
        }
        let mut hits = if scored.is_empty() { partial } else { scored };
        hits.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(a.1.cmp(&b.1))
                .then(a.2.summary.code.cmp(&b.2.summary.code))
        });
        let total = hits.len();
        (
            hits.into_iter()
                .skip(offset)
                .take(limit)
                .map(|(_, _, e)| e.summary.clone())
                .collect(),
            total,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lienthong_domain::catalog::Procedure;

    fn procedures() -> Vec<Procedure> {
        let demo = include_bytes!("../../../../data/catalog/procedures_demo.json");
        let mut all: Vec<Procedure> = serde_json::from_slice(demo).unwrap();
        let mut twin = all[0].clone();
        twin.code = "9.000001".into();
        twin.name = "Đăng ký khái sính".into();
        all.push(twin);
        all
    }

    fn codes(index: &SearchIndex, q: &str) -> Vec<String> {
        index
            .search(
                &Query {
                    q: Some(q.into()),
                    ..Query::default()
                },
                0,
                5,
            )
            .0
            .into_iter()
            .map(|s| s.code)
            .collect()
    }

    #[test]
    fn folded_nfc_and_nfd_queries_find_the_construction_permit_first() {
        let index = SearchIndex::default();
        index.replace_all(&procedures());
        let nfd: String =
            unicode_normalization::UnicodeNormalization::nfd("giấy phép xây dựng").collect();
        for q in [
            "cap giay phep xay dung",
            "giấy phép xây dựng",
            nfd.as_str(),
            "CẤP GIẤY PHÉP XÂY DỰNG",
        ] {
            assert_eq!(
                codes(&index, q).first().map(String::as_str),
                Some("1.009994"),
                "{q}"
            );
        }
    }

    #[test]
    fn exact_diacritics_rank_above_folded_matches() {
        let index = SearchIndex::default();
        index.replace_all(&procedures());
        assert_eq!(codes(&index, "khai sinh")[..2], ["1.001193", "9.000001"]);
        assert_eq!(codes(&index, "khái sính")[..2], ["9.000001", "1.001193"]);
        assert_eq!(codes(&index, "1.001193"), ["1.001193"]);
    }

    #[test]
    fn filters_and_paging() {
        let index = SearchIndex::default();
        index.replace_all(&procedures());
        let q = Query {
            field: Some("ho-tich".into()),
            ..Query::default()
        };
        let (page, total) = index.search(&q, 0, 2);
        assert_eq!(page.len(), 2);
        assert!(total >= 6);
        assert!(page.iter().all(|s| s.field_code == "ho-tich"));
        let commune = Query {
            q: Some("giay phep".into()),
            level: Some(ProcedureLevel::Province),
            ..Query::default()
        };
        assert!(
            index
                .search(&commune, 0, 50)
                .0
                .iter()
                .all(|s| s.level == ProcedureLevel::Province)
        );
        assert_eq!(
            index
                .search(
                    &Query {
                        q: Some("zzzz".into()),
                        ..Query::default()
                    },
                    0,
                    5
                )
                .1,
            0
        );
        index.remove("1.001193");
        assert!(!codes(&index, "khai sinh").contains(&"1.001193".to_owned()));
    }

    #[test]
    fn upserts_and_removals_keep_the_postings_current() {
        let index = SearchIndex::default();
        let all = procedures();
        index.replace_all(&all);
        let mut p = all[1].clone();
        p.name = "Cấp phép thả diều sáo".into();
        index.upsert(&p);
        assert_eq!(codes(&index, "dieu sao"), [p.code.clone()]);
        assert_eq!(
            codes(&index, "thả diề"),
            [p.code.clone()],
            "last word as a prefix"
        );
        assert!(codes(&index, "d").is_empty(), "one letter is no prefix");
        p.name = "Cấp phép bay khinh khí cầu".into();
        index.upsert(&p);
        assert!(!codes(&index, "dieu sao").contains(&p.code), "the old name is gone");
        assert_eq!(codes(&index, "khinh khi cau"), [p.code.clone()]);
        assert_eq!(index.len(), all.len());
        index.remove(&p.code);
        assert!(!codes(&index, "khinh khi cau").contains(&p.code));
        assert_eq!(
            codes(&index, &all[0].code),
            [all[0].code.clone()],
            "by code"
        );
    }
}
