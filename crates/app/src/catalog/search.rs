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

use std::{
    borrow::Cow,
    collections::{BTreeMap, HashMap},
    ops::Bound,
    sync::RwLock,
};

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

/// Number of words in `s` (as [`words`] splits them), without allocating.
fn word_count(s: &str) -> usize {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count()
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
    /// Folded name word → positions in `entries` of the procedures holding it, ascending
    /// (ordered, for the prefix match of a query's last word).
    names: BTreeMap<String, Vec<usize>>,
    /// Name word with its diacritics → positions, ascending.
    names_exact: HashMap<String, Vec<usize>>,
    /// Folded field word → positions, ascending.
    fields: HashMap<String, Vec<usize>>,
}

/// Adds position `i` to a posting list once.
fn post(list: &mut Vec<usize>, i: usize) {
    if list.last() != Some(&i) {
        list.push(i);
    }
}

impl Indexed {
    fn new(mut entries: Vec<Entry>) -> Indexed {
        entries.sort_by(|a, b| a.summary.code.cmp(&b.summary.code));
        let mut ix = Indexed::default();
        for (i, e) in entries.iter().enumerate() {
            for w in &e.name_words {
                post(ix.names.entry(w.clone()).or_default(), i);
            }
            for w in &e.name_words_exact {
                post(ix.names_exact.entry(w.clone()).or_default(), i);
            }
            for w in &e.field_words {
                post(ix.fields.entry(w.clone()).or_default(), i);
            }
        }
        ix.entries = entries;
        ix
    }

    /// Positions of the procedures whose name holds `word` (also as a prefix when `prefix`),
    /// ascending, without repeats.
    fn in_names(&self, word: &str, prefix: bool) -> Cow<'_, [usize]> {
        if !prefix {
            return Cow::Borrowed(self.names.get(word).map_or(&[][..], Vec::as_slice));
        }
        let mut out = Vec::new();
        for (key, list) in self
            .names
            .range::<str, _>((Bound::Included(word), Bound::Unbounded))
        {
            if !key.starts_with(word) {
                break;
            }
            out.extend(list);
        }
        out.sort_unstable();
        out.dedup();
        Cow::Owned(out)
    }

    /// Scores every procedure matching some query word, from the postings: 10 per word in
    /// the name (the last word also as a prefix of two letters or more), 4 more when its
    /// diacritics match too, 3 per word in the field. Returns (position, score, words
    /// matched) by position.
    fn word_scores(
        &self,
        q_words: &[String],
        q_words_exact: &[String],
    ) -> Vec<(usize, i64, usize)> {
        let mut score = vec![0i64; self.entries.len()];
        let mut matched = vec![0usize; self.entries.len()];
        let mut seen = vec![usize::MAX; self.entries.len()];
        let none: Vec<usize> = Vec::new();
        for (i, w) in q_words.iter().enumerate() {
            let last = i + 1 == q_words.len();
            let names = self.in_names(w, last && w.len() >= 2);
            let exact = q_words_exact
                .get(i)
                .and_then(|x| self.names_exact.get(x))
                .unwrap_or(&none);
            let fields = self.fields.get(w).unwrap_or(&none);
            for &e in names.iter() {
                if let Some(s) = score.get_mut(e) {
                    *s += if exact.binary_search(&e).is_ok() {
                        14
                    } else {
                        10
                    };
                }
            }
            for &e in fields {
                if let Some(s) = score.get_mut(e) {
                    *s += 3;
                }
            }
            for &e in names.iter().chain(fields) {
                if let (Some(at), Some(m)) = (seen.get_mut(e), matched.get_mut(e))
                    && *at != i
                {
                    *at = i;
                    *m += 1;
                }
            }
        }
        matched
            .iter()
            .zip(&score)
            .enumerate()
            .filter(|(_, (m, _))| **m > 0)
            .map(|(e, (m, s))| (e, *s, *m))
            .collect()
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
        let mut by_words = ix.word_scores(&q_words, &q_words_exact);
        let code = q_exact.trim();
        if let Ok(at) = ix
            .entries
            .binary_search_by(|e| e.summary.code.as_str().cmp(code))
            && let Err(i) = by_words.binary_search_by(|x| x.0.cmp(&at))
        {
            by_words.insert(i, (at, 0, 0));
        }
        for (at, mut score, mut matched) in by_words {
            let Some(e) = ix.entries.get(at).filter(keep) else {
                continue;
            };
            if e.summary.code == code {
                score += 1000;
                matched = q_words.len();
            }
            let length_penalty = e.name_words.len();
            if matched == q_words.len() {
                scored.push((score, length_penalty, e));
            } else if matched > 0 {
                partial.push((score, length_penalty, e));
            }
        }
        let mut hits = if scored.is_empty() { partial } else { scored };
        // The phrase bonus changes the order, not which procedures match: it is computed for
        // the list that is kept only.
        let phrase = memchr::memmem::Finder::new(q_folded.as_bytes());
        for (score, _, e) in &mut hits {
            if let Some(at) = phrase.find(e.name_folded.as_bytes()) {
                // The earlier the phrase stands in the name, the more the name is about it.
                let words_before = e.name_folded.get(..at).map_or(0, word_count);
                *score += 30 - 3 * i64::try_from(words_before.min(8)).unwrap_or(8);
                if e.name_exact.contains(&q_exact) {
                    *score += 15;
                }
                if e.name_folded.starts_with(&q_folded) {
                    *score += 10;
                }
            }
        }
        let order = |a: &(i64, usize, &Entry), b: &(i64, usize, &Entry)| {
            b.0.cmp(&a.0)
                .then(a.1.cmp(&b.1))
                .then(a.2.summary.code.cmp(&b.2.summary.code))
        };
        let total = hits.len();
        // Only the requested page needs ordering.
        let wanted = offset.saturating_add(limit);
        if wanted > 0 && wanted < hits.len() {
            hits.select_nth_unstable_by(wanted - 1, order);
            hits.truncate(wanted);
        }
        hits.sort_by(order);
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

    /// The plain scan the postings replace: every procedure scored word by word.
    fn scan(index: &SearchIndex, q: &str) -> Vec<(String, i64)> {
        let ix = index.indexed.read().unwrap();
        let q_exact = exact(q);
        let q_words_exact = words(&q_exact);
        let q_folded = fold(&q_exact);
        let q_words = words(&q_folded);
        let mut scored = Vec::new();
        let mut partial = Vec::new();
        for e in &ix.entries {
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
            if e.summary.code == q_exact.trim() {
                score += 1000;
                matched = q_words.len();
            }
            if let Some(at) = e.name_folded.find(&q_folded) {
                score += 30 - 3 * (words(&e.name_folded[..at]).len().min(8) as i64);
                if e.name_exact.contains(&q_exact) {
                    score += 15;
                }
                if e.name_folded.starts_with(&q_folded) {
                    score += 10;
                }
            }
            let hit = (score, e.name_words.len(), e.summary.code.clone());
            if matched == q_words.len() && matched > 0 {
                scored.push(hit);
            } else if matched > 0 {
                partial.push(hit);
            }
        }
        let mut hits = if scored.is_empty() { partial } else { scored };
        hits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        hits.into_iter().take(7).map(|h| (h.2, h.0)).collect()
    }

    #[test]
    fn the_postings_rank_exactly_as_a_scan_of_every_procedure() {
        let index = SearchIndex::default();
        let all = procedures();
        index.replace_all(&all);
        let vocabulary: Vec<String> = all
            .iter()
            .flat_map(|p| {
                let name = exact(&p.name);
                let mut w = words(&name);
                w.extend(words(&fold(&name)));
                w.extend(words(&fold(&p.field.name)));
                w.push(p.code.clone());
                w
            })
            .collect();
        let mut seed: u64 = 20_261_201;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as usize % n
        };
        for _ in 0..3_000 {
            let mut q: Vec<String> = (0..1 + next(4))
                .map(|_| vocabulary[next(vocabulary.len())].clone())
                .collect();
            if next(3) == 0
                && let Some(last) = q.last_mut()
            {
                let keep = 1 + next(last.chars().count());
                *last = last.chars().take(keep).collect();
            }
            let q = q.join(" ");
            let got = index.search(
                &Query {
                    q: Some(q.clone()),
                    ..Query::default()
                },
                0,
                7,
            );
            let want = scan(&index, &q);
            assert_eq!(
                got.0.iter().map(|s| s.code.clone()).collect::<Vec<_>>(),
                want.iter().map(|h| h.0.clone()).collect::<Vec<_>>(),
                "query {q:?}"
            );
        }
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
        assert!(
            !codes(&index, "dieu sao").contains(&p.code),
            "the old name is gone"
        );
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
