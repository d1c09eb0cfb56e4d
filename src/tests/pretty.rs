//! The pretty serializer against serde_json's, byte for byte.

use super::to_writer;
use serde::Serialize;
use std::collections::BTreeMap;

fn same<T: Serialize + ?Sized>(value: &T) {
    let expected = serde_json::to_vec_pretty(value).expect("serde_json serializes it");
    let mut ours = Vec::new();
    to_writer(&mut ours, value).expect("serializes");
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&expected)
    );
}

#[derive(Serialize)]
struct Unit;

#[derive(Serialize)]
struct Newtype(u8);

#[derive(Serialize)]
struct Tuple(i32, String, Vec<u8>);

#[derive(Serialize)]
enum Kind {
    Unit,
    Newtype(Vec<i32>),
    Tuple(u8, Option<String>),
    Struct {
        a: u8,
        b: Vec<String>,
        c: BTreeMap<String, u8>,
    },
    EmptyStruct {},
    EmptyTuple(),
}

#[derive(Serialize)]
struct Inner {
    text: String,
    list: Vec<Inner>,
    map: BTreeMap<String, Vec<u8>>,
}

#[derive(Serialize)]
struct Doc<'a> {
    success: bool,
    name: &'a str,
    count: usize,
    negative: i64,
    big: u128,
    small: i128,
    ratio: f64,
    ratio32: f32,
    none: Option<u8>,
    some: Option<&'a str>,
    unit: (),
    unit_struct: Unit,
    newtype: Newtype,
    tuple: Tuple,
    pair: (u8, &'a str),
    kinds: Vec<Kind>,
    empty_list: Vec<u8>,
    empty_map: BTreeMap<String, u8>,
    nested: Inner,
    #[serde(flatten)]
    flat: BTreeMap<String, serde_json::Value>,
    letter: char,
    #[serde(with = "serde_bytes_like")]
    bytes: Vec<u8>,
}

mod serde_bytes_like {
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }
}

#[test]
fn every_kind_of_value_is_written_like_serde_json() {
    let inner = |text: &str, list| Inner {
        text: text.to_string(),
        list,
        map: BTreeMap::from([("k".to_string(), vec![1, 2]), ("e".to_string(), vec![])]),
    };
    let doc = Doc {
        success: true,
        name: "tasks",
        count: 10_000,
        negative: i64::MIN,
        big: u128::MAX,
        small: i128::MIN,
        ratio: 1_795_974_309.083_518_5,
        ratio32: 0.1,
        none: None,
        some: Some("x"),
        unit: (),
        unit_struct: Unit,
        newtype: Newtype(7),
        tuple: Tuple(-3, "t".into(), vec![]),
        pair: (1, "p"),
        kinds: vec![
            Kind::Unit,
            Kind::Newtype(vec![]),
            Kind::Newtype(vec![1, 2]),
            Kind::Tuple(1, None),
            Kind::Struct {
                a: 1,
                b: vec!["x".into()],
                c: BTreeMap::new(),
            },
            Kind::EmptyStruct {},
            Kind::EmptyTuple(),
        ],
        empty_list: vec![],
        empty_map: BTreeMap::new(),
        nested: inner(
            "a",
            vec![inner("b", vec![]), inner("c", vec![inner("d", vec![])])],
        ),
        flat: BTreeMap::from([
            (
                "generated_at".to_string(),
                serde_json::json!("2026-11-29T00:00:00Z"),
            ),
            (
                "z".to_string(),
                serde_json::json!({"a": [], "b": {}, "c": [{}]}),
            ),
        ]),
        letter: '\u{7}',
        bytes: vec![0, 255],
    };
    same(&doc);
    same(&Kind::Unit);
    same(&vec![Kind::EmptyTuple()]);
    same(&Vec::<u8>::new());
    same(&BTreeMap::<u8, u8>::from([(1, 2)]));
    same(&BTreeMap::<bool, u8>::from([(true, 2)]));
    same(&BTreeMap::<char, u8>::from([('"', 2)]));
    for f in [
        0.0,
        -0.0,
        1e300,
        -1e-300,
        0.1 + 0.2,
        f64::NAN,
        f64::INFINITY,
        5e-324,
    ] {
        same(&f);
        same(&vec![f]);
    }
}

#[test]
fn strings_are_escaped_like_serde_json() {
    // Every byte value a string can hold near every position of an 8-byte chunk.
    let mut specials: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
    specials.extend(["é", "€", "𝄞", "\u{7f}", "\u{2028}", "\u{fffd}"].map(String::from));
    for special in &specials {
        for at in 0..18 {
            let text = format!("{}{special}{}", "a".repeat(at), "b".repeat(17 - at.min(17)));
            same(&text);
            same(&BTreeMap::from([(text.clone(), text)]));
        }
    }
    let mixed: String = (0u32..0x3000)
        .filter_map(char::from_u32)
        .filter(|c| c.len_utf8() > 1 || c.is_ascii())
        .collect();
    same(&mixed);
    same(&"\"\\\n\r\t\u{8}\u{c}\u{0}\u{1f}".repeat(9));
}

#[test]
fn random_documents_are_written_like_serde_json() {
    // A deterministic generator of JSON trees: objects, arrays, strings, numbers, literals.
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    fn tree(next: &mut dyn FnMut(u64) -> u64, depth: u32) -> serde_json::Value {
        use serde_json::Value;
        let pick = if depth > 4 { next(5) } else { next(7) };
        match pick {
            0 => Value::Null,
            1 => Value::Bool(next(2) == 0),
            2 => serde_json::json!(next(1 << 40) as i64 - (1 << 39)),
            3 => serde_json::json!(next(1 << 30) as f64 / 7.0),
            4 => {
                let alphabet = ["a", "\"", "\\", "\n", "\u{1}", "é", "𝄞", " ", "\t", "xyzw"];
                Value::String((0..next(30)).map(|_| alphabet[next(10) as usize]).collect())
            }
            5 => Value::Array((0..next(5)).map(|_| tree(next, depth + 1)).collect()),
            _ => Value::Object(
                (0..next(5))
                    .map(|i| (format!("k{i}\u{2}{}", next(3)), tree(next, depth + 1)))
                    .collect(),
            ),
        }
    }
    for _ in 0..3000 {
        same(&tree(&mut next, 0));
    }
}

#[test]
fn a_key_that_is_no_string_is_refused_as_serde_json_refuses_it() {
    let map = BTreeMap::from([(vec![1u8], 1u8)]);
    assert!(serde_json::to_vec_pretty(&map).is_err());
    assert!(to_writer(&mut Vec::new(), &map).is_err());
}

/// Documents holding a [`ParallelSeq`] of `len` elements, at the top and nested, against
/// serde_json writing the same elements as a `Vec`.
fn parallel_same(len: usize) {
    use super::ParallelSeq;
    let element = |i: usize| -> serde_json::Value {
        match i % 4 {
            0 => {
                serde_json::json!({"id": format!("TASK-{i:04}"), "list": [i, "a\"b\n"], "empty": []})
            }
            1 => serde_json::json!(i),
            2 => serde_json::json!([]),
            _ => serde_json::json!({"nested": {"deeper": [{"x": "é\u{1}"}]}}),
        }
    };
    let plain: Vec<serde_json::Value> = (0..len).map(element).collect();
    #[derive(Serialize)]
    struct Doc<S> {
        count: usize,
        data: Data<S>,
        after: &'static str,
    }
    #[derive(Serialize)]
    struct Data<S> {
        tasks: S,
        more: Vec<u8>,
    }
    fn doc<S>(len: usize, tasks: S) -> Doc<S> {
        Doc {
            count: len,
            data: Data {
                tasks,
                more: vec![1, 2],
            },
            after: "end",
        }
    }
    let expected = serde_json::to_vec_pretty(&doc(len, &plain)).expect("serde_json serializes it");
    let seq = ParallelSeq { len, make: element };
    let mut ours = Vec::new();
    to_writer(&mut ours, &doc(len, &seq)).expect("serializes");
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&expected),
        "{len} elements"
    );
    // At the top, and seen by another serializer (a plain sequence).
    let mut top = Vec::new();
    to_writer(&mut top, &seq).expect("serializes");
    assert_eq!(
        top,
        serde_json::to_vec_pretty(&plain).unwrap(),
        "{len} at the top"
    );
    assert_eq!(
        serde_json::to_vec_pretty(&doc(len, &seq)).unwrap(),
        expected,
        "{len} through serde_json"
    );
}

#[test]
fn a_parallel_sequence_is_written_like_serde_json_at_every_length() {
    let batch = super::SEQ_BATCH;
    for len in [
        0,
        1,
        2,
        batch - 1,
        batch,
        batch + 1,
        2 * batch,
        2 * batch + 1,
        3 * batch,
        3 * batch + 7,
        4 * batch,
        25 * batch + 3,
    ] {
        parallel_same(len);
    }
}

/// Takes `limit` bytes, then fails as a full disk would.
struct Full {
    taken: usize,
    limit: usize,
}

impl std::io::Write for Full {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.taken >= self.limit {
            return Err(std::io::Error::other("no space left"));
        }
        let n = buf.len().min(self.limit - self.taken);
        self.taken += n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_parallel_sequence_stops_at_a_write_error_without_hanging() {
    use super::ParallelSeq;
    let seq = ParallelSeq {
        len: 20 * super::SEQ_BATCH,
        make: |i: usize| vec![format!("element {i}"); 3],
    };
    let mut full = Vec::new();
    to_writer(&mut full, &seq).expect("serializes");
    // Fail at the start, around the first element of every batch (this thread's and the
    // helper's, in turn), and one byte short of the end.
    let text = String::from_utf8(full.clone()).unwrap();
    let mut limits = vec![0, 1, full.len() - 1];
    for batch in 0..20 {
        let at = text
            .find(&format!("\"element {}\"", batch * super::SEQ_BATCH))
            .expect("the element is written");
        limits.extend([at - 1, at, at + 1]);
    }
    for limit in limits {
        let error = to_writer(Full { taken: 0, limit }, &seq).expect_err("the write fails");
        assert_eq!(error.to_string(), "no space left", "limit {limit}");
    }
    parallel_same(3 * super::SEQ_BATCH + 1);
    to_writer(
        Full {
            taken: 0,
            limit: full.len(),
        },
        &seq,
    )
    .expect("exactly enough room");
}

#[test]
fn an_element_a_helper_cannot_write_fails_the_document() {
    use super::ParallelSeq;
    // Element 300 is in the helper's second batch; its map key is no string.
    let seq = ParallelSeq {
        len: 10 * super::SEQ_BATCH,
        make: |i: usize| {
            let key = if i == super::SEQ_BATCH + 44 {
                vec![1u8]
            } else {
                vec![]
            };
            BTreeMap::from([(key, i)])
        },
    };
    assert!(serde_json::to_vec_pretty(&seq).is_err());
    assert!(to_writer(&mut Vec::new(), &seq).is_err());
}

#[test]
fn a_helper_that_panics_raises_its_panic_here() {
    use super::ParallelSeq;
    let seq = ParallelSeq {
        len: 10 * super::SEQ_BATCH,
        make: |i: usize| {
            assert!(i != 3 * super::SEQ_BATCH + 1, "element {i} cannot be made");
            i
        },
    };
    let caught = std::panic::catch_unwind(|| to_writer(&mut Vec::new(), &seq));
    let panic = caught.expect_err("the panic reaches the caller");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("cannot be made"), "{message}");
}

#[test]
fn escapes_are_found_at_every_position_of_every_short_length() {
    // One or two characters to escape (or not) anywhere in strings of 0 to 20 bytes: the runs
    // of eight bytes and the padded tail both find them.
    let odd = [
        "\"", "\\", "\n", "\u{0}", "\u{1f}", " ", "\u{7f}", "é", "\u{8}",
    ];
    for len in 0..=20usize {
        let base = "a".repeat(len);
        same(&base);
        for at in 0..len {
            for first in odd {
                let one = format!("{}{first}{}", &base[..at], &base[at + 1..]);
                same(&one);
                for then in at + 1..len {
                    let two = format!(
                        "{}{first}{}\t{}",
                        &base[..at],
                        &base[at + 1..then],
                        &base[then + 1..]
                    );
                    same(&two);
                }
            }
        }
    }
}

#[test]
fn odd_field_names_and_deep_nesting_are_written_like_serde_json() {
    #[derive(Serialize)]
    struct Odd {
        #[serde(rename = "a \"quoted\"\nname")]
        quoted: u8,
        #[serde(rename = "a_field_name_much_longer_than_sixty_bytes_which_is_the_fast_path_limit")]
        long: u8,
        #[serde(rename = "a_field_name_of_exactly_sixty_bytes_which_fills_the_line_buf")]
        sixty: u8,
        #[serde(rename = "")]
        empty: u8,
    }
    same(&Odd {
        quoted: 1,
        long: 2,
        sixty: 3,
        empty: 4,
    });
    // Deeper than the one-write indentation (30 levels), objects and arrays.
    let mut value = serde_json::json!({"leaf": [1, "two"]});
    for depth in 0..45 {
        value = if depth % 2 == 0 {
            serde_json::json!([value, depth])
        } else {
            serde_json::json!({"k": value, "n": depth})
        };
        same(&value);
    }
}
