//! JSON documents with every object's keys sorted, written in one pass.
//!
//! docs/json.md promises sorted keys, as a `serde_json::Value` prints them. Building that tree
//! costs many times the document (a long paste's report is hundreds of MB of JSON), and
//! reading serialized text back to sort it scans each byte once per nesting level. Here the
//! serializer itself sorts: a [`Formatter`] collects each open object's members in a buffer,
//! and when the object closes puts them in key order. A small object is copied into its
//! parent's buffer; a big one stays where it is and the parent keeps a reference to it, so no
//! byte of a big document is copied more than once or parsed again.
//!
//! A [`SortedJson`] is printed compact ([`SortedJson::write_compact`]) or indented
//! ([`SortedJson::write_pretty`]), exactly as `serde_json` prints the `Value`.

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};
use std::borrow::Cow;
use std::io::{self, Write};

/// Objects whose text reaches this size are not copied into their parent.
const BIG: usize = 64 * 1024;

/// A serialized document, keys sorted, ready to print.
pub struct SortedJson {
    root: Big,
}

impl SortedJson {
    /// Serializes `value` with every object's keys sorted (by the strings they stand for, as a
    /// `Value`'s map sorts them; of two equal keys the last one stays, as in a `Value`).
    pub fn new<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Self> {
        let mut state = State {
            open: vec![Object::default()],
            spare: Vec::new(),
        };
        let mut ser = serde_json::Serializer::with_formatter(io::sink(), Sorted(&mut state));
        value.serialize(&mut ser)?;
        let root = state.open.pop().unwrap_or_default();
        let parts = split_at_holes(0, root.text.len(), &mut root.holes.into_iter().peekable());
        Ok(SortedJson {
            root: Big {
                text: root.text,
                parts,
            },
        })
    }

    /// Writes the document compact, on one line.
    pub fn write_compact<W: Write + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        self.root.each(&mut |bytes| out.write_all(bytes))
    }

    /// Writes the document indented by two spaces per level, as `serde_json`'s pretty printer
    /// does, starting at nesting level `level` (1 for a document inside an array). Needs no
    /// recursion over the text: any depth prints.
    pub fn write_pretty<W: Write + ?Sized>(&self, level: usize, out: &mut W) -> io::Result<()> {
        let mut depth = level;
        self.root.each(&mut |bytes| pretty(bytes, &mut depth, out))
    }

    /// The compact text.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_compact(&mut v).expect("writing to a Vec");
        v
    }
}

/// A finished object too big to copy: its members' text and the order to print it in.
struct Big {
    text: Vec<u8>,
    parts: Vec<Part>,
}

enum Part {
    Text(usize, usize),
    Lit(&'static [u8]),
    Child(Box<Big>),
}

impl Big {
    fn each(&self, f: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        for p in &self.parts {
            match p {
                Part::Text(a, b) => f(&self.text[*a..*b])?,
                Part::Lit(l) => f(l)?,
                Part::Child(c) => c.each(f)?,
            }
        }
        Ok(())
    }
}

/// The parts of `start..end` of a text, with the big children that sit in it (at their
/// positions in the text, in order) in between.
fn split_at_holes(
    start: usize,
    end: usize,
    holes: &mut std::iter::Peekable<impl Iterator<Item = (usize, Big)>>,
) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut at = start;
    while let Some((pos, _)) = holes.peek() {
        if *pos > end {
            break;
        }
        let (pos, child) = holes.next().expect("peeked");
        if pos > at {
            parts.push(Part::Text(at, pos));
        }
        parts.push(Part::Child(Box::new(child)));
        at = pos;
    }
    if end > at {
        parts.push(Part::Text(at, end));
    }
    parts
}

/// Indents compact JSON text, continuing at nesting `depth`. Containers, strings and scalars
/// are never split between two calls (the text is cut only between members or elements).
fn pretty<W: Write + ?Sized>(text: &[u8], depth: &mut usize, out: &mut W) -> io::Result<()> {
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        match b {
            b'"' => {
                let end = string_end(text, i);
                out.write_all(&text[i..end])?;
                i = end;
                continue;
            }
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                if text.get(i + 1) == Some(&close) {
                    out.write_all(&[b, close])?;
                    i += 2;
                    continue;
                }
                *depth += 1;
                out.write_all(&[b])?;
                newline(out, *depth)?;
            }
            b'}' | b']' => {
                *depth = depth.saturating_sub(1);
                newline(out, *depth)?;
                out.write_all(&[b])?;
            }
            b',' => {
                out.write_all(b",")?;
                newline(out, *depth)?;
            }
            b':' => out.write_all(b": ")?,
            _ => {
                // A number, `true`, `false` or `null`: up to the next structural byte.
                let end = text[i..]
                    .iter()
                    .position(|c| matches!(c, b',' | b'}' | b']' | b':'))
                    .map_or(text.len(), |p| i + p);
                out.write_all(&text[i..end])?;
                i = end;
                continue;
            }
        }
        i += 1;
    }
    Ok(())
}

/// The index just past the string that starts with the `"` at `start`.
fn string_end(text: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    loop {
        match memchr::memchr2(b'"', b'\\', &text[i.min(text.len())..]) {
            Some(p) if text[i + p] == b'\\' => i += p + 2,
            Some(p) => return i + p + 1,
            None => return text.len(),
        }
    }
}

fn newline<W: Write + ?Sized>(out: &mut W, depth: usize) -> io::Result<()> {
    const SPACES: &[u8] = &[b' '; 64];
    out.write_all(b"\n")?;
    let mut n = depth * 2;
    while n > 0 {
        let k = n.min(SPACES.len());
        out.write_all(&SPACES[..k])?;
        n -= k;
    }
    Ok(())
}

/// One object being written (or, at the bottom of the stack, the text outside every object):
/// its members' text, `"key":value` each, where they are, and the big objects inside them.
#[derive(Default)]
struct Object {
    text: Vec<u8>,
    /// Per member: start, end of the key (its quotes included), end.
    members: Vec<(usize, usize, usize)>,
    /// The member being written: its start and end of key.
    current: (usize, usize),
    /// Big objects that sit at a position of `text`, in order.
    holes: Vec<(usize, Big)>,
}

impl Object {
    /// The members' order: sorted by key, and of equal keys the last one only.
    fn order(&mut self) -> Vec<(usize, usize, usize)> {
        let text = &self.text;
        let key = |m: &(usize, usize, usize)| key_text(&text[m.0..m.1]);
        // Stable: of equal keys the later stays later, and is the one kept.
        let mut members = std::mem::take(&mut self.members);
        members.sort_by(|a, b| key(a).cmp(&key(b)));
        let mut kept: Vec<(usize, usize, usize)> = Vec::with_capacity(members.len());
        for m in members {
            match kept.last_mut() {
                Some(last) if key(last) == key(&m) => *last = m,
                _ => kept.push(m),
            }
        }
        kept
    }
}

/// A member's key as the string it stands for, for sorting: the quoted text as written, or
/// unescaped when it has escapes (rare; the order must be the string's, not the escapes').
fn key_text(quoted: &[u8]) -> Cow<'_, [u8]> {
    let inner = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or(&[]);
    if memchr::memchr(b'\\', inner).is_none() {
        return Cow::Borrowed(inner);
    }
    match serde_json::from_slice::<String>(quoted) {
        Ok(s) => Cow::Owned(s.into_bytes()),
        Err(_) => Cow::Borrowed(inner),
    }
}

/// The open objects, innermost last, above the text outside every object; and buffers of
/// small objects that are done, to reuse (a report has millions of tiny objects).
struct State {
    open: Vec<Object>,
    spare: Vec<Object>,
}

impl State {
    fn close(&mut self) -> io::Result<()> {
        if self.open.len() < 2 {
            return Err(io::Error::other("an object closed that was never opened"));
        }
        let mut done = self.open.pop().expect("checked");
        let order = done.order();
        let parent = self.open.last_mut().expect("checked");
        if done.holes.is_empty() && done.text.len() < BIG {
            let out = &mut parent.text;
            out.push(b'{');
            for (n, m) in order.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&done.text[m.0..m.2]);
            }
            out.push(b'}');
            done.text.clear();
            done.members.clear();
            self.spare.push(done);
            return Ok(());
        }
        let mut parts = vec![];
        if order.is_empty() {
            parts.push(Part::Lit(b"{}"));
        } else {
            parts.push(Part::Lit(b"{"));
            let mut holes = std::mem::take(&mut done.holes);
            holes.sort_by_key(|h| h.0);
            // Members in key order, each with the big objects inside it.
            let mut by_member: Vec<Vec<(usize, Big)>> = order.iter().map(|_| vec![]).collect();
            let mut starts: Vec<(usize, usize)> =
                order.iter().enumerate().map(|(i, m)| (m.0, i)).collect();
            starts.sort_unstable();
            for h in holes {
                // The member whose text holds the hole: the last one starting before it.
                let at = starts.partition_point(|s| s.0 < h.0).saturating_sub(1);
                if let Some(&(_, i)) = starts.get(at) {
                    by_member[i].push(h);
                }
            }
            for (n, (m, holes)) in order.iter().zip(by_member).enumerate() {
                if n > 0 {
                    parts.push(Part::Lit(b","));
                }
                parts.extend(split_at_holes(m.0, m.2, &mut holes.into_iter().peekable()));
            }
            parts.push(Part::Lit(b"}"));
        }
        let big = Big {
            text: done.text,
            parts,
        };
        parent.holes.push((parent.text.len(), big));
        Ok(())
    }
}

/// The sorting formatter: compact output, objects gathered until they close.
struct Sorted<'a>(&'a mut State);

/// Formatter methods that only write: each goes into the innermost open object's text (or the
/// text outside every object) through `CompactFormatter`; the real writer gets nothing.
macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $name<W: ?Sized + Write>(&mut self, _: &mut W $(, $arg: $ty)*) -> io::Result<()> {
                let sink = &mut self.0.open.last_mut().expect("the outside text").text;
                CompactFormatter.$name(sink $(, $arg)*)
            }
        )*
    };
}

impl Formatter for Sorted<'_> {
    forward! {
        write_null();
        write_bool(value: bool);
        write_i8(value: i8);
        write_i16(value: i16);
        write_i32(value: i32);
        write_i64(value: i64);
        write_i128(value: i128);
        write_u8(value: u8);
        write_u16(value: u16);
        write_u32(value: u32);
        write_u64(value: u64);
        write_u128(value: u128);
        write_f32(value: f32);
        write_f64(value: f64);
        write_number_str(value: &str);
        begin_string();
        end_string();
        write_string_fragment(fragment: &str);
        write_char_escape(char_escape: CharEscape);
        write_byte_array(value: &[u8]);
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        write_raw_fragment(fragment: &str);
    }

    fn begin_object<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        let o = self.0.spare.pop().unwrap_or_default();
        self.0.open.push(o);
        Ok(())
    }

    fn end_object<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.0.close()
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, _: &mut W, _first: bool) -> io::Result<()> {
        // Commas are written when the object closes, between members in their sorted order.
        let o = self.0.open.last_mut().expect("the outside text");
        o.current = (o.text.len(), o.text.len());
        Ok(())
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        let o = self.0.open.last_mut().expect("the outside text");
        o.current.1 = o.text.len();
        Ok(())
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        let o = self.0.open.last_mut().expect("the outside text");
        o.text.push(b':');
        Ok(())
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        let o = self.0.open.last_mut().expect("the outside text");
        o.members.push((o.current.0, o.current.1, o.text.len()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// What the documented output is: the `Value`'s pretty print.
    fn by_value<T: Serialize>(v: &T) -> String {
        serde_json::to_string_pretty(&serde_json::to_value(v).unwrap()).unwrap()
    }

    fn ours<T: Serialize>(v: &T, level: usize) -> String {
        let mut out = Vec::new();
        SortedJson::new(v)
            .unwrap()
            .write_pretty(level, &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    fn compact<T: Serialize>(v: &T) -> Vec<u8> {
        SortedJson::new(v).unwrap().to_vec()
    }

    #[derive(Serialize)]
    struct Doc {
        zeta: u32,
        alpha: Vec<Inner>,
        #[serde(rename = "Mixed \"quoted\"")]
        quoted: Option<String>,
        empty_list: Vec<u8>,
        empty_map: std::collections::HashMap<String, u8>,
        #[serde(flatten)]
        rest: Value,
    }

    #[derive(Serialize)]
    struct Inner {
        b: f64,
        a: (i64, bool, ()),
        s: &'static str,
    }

    #[test]
    fn prints_as_the_value_would() {
        let doc = Doc {
            zeta: 7,
            alpha: vec![
                Inner {
                    b: 1.5e300,
                    a: (-3, true, ()),
                    s: "tab\t \"q\" \\ \u{1} é {[,:]}",
                },
                Inner {
                    b: -0.0,
                    a: (i64::MIN, false, ()),
                    s: "",
                },
            ],
            quoted: Some("x".into()),
            empty_list: vec![],
            empty_map: Default::default(),
            rest: json!({"\u{e9}t\u{e9}": {"y": [], "x": {}}, "a\\b": 1, "a": [[1, {"d": 2, "c": 3}]]}),
        };
        assert_eq!(ours(&doc, 0), by_value(&doc));
        // Inside an array, one level deeper, as a pretty-printed array of documents has it.
        let in_array = by_value(&vec![&doc]);
        let inner = ours(&doc, 1);
        assert_eq!(in_array, format!("[\n  {inner}\n]"));
    }

    #[test]
    fn duplicate_keys_keep_the_last_as_a_value_does() {
        #[derive(Serialize)]
        struct Dup {
            k: u8,
            #[serde(flatten)]
            more: std::collections::BTreeMap<&'static str, u8>,
        }
        let d = Dup {
            k: 1,
            more: [("k", 2), ("j", 3)].into_iter().collect(),
        };
        assert_eq!(compact(&d), br#"{"j":3,"k":2}"#);
        assert_eq!(ours(&d, 0), by_value(&d));
    }

    #[test]
    fn scalars_and_deep_nesting() {
        assert_eq!(ours(&5u8, 0), "5");
        assert_eq!(ours(&"s", 0), "\"s\"");
        // Deeper than serde_json's reader goes: printing needs no recursion over the text.
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let (mut out, mut depth) = (Vec::new(), 0);
        pretty(deep.as_bytes(), &mut depth, &mut out).unwrap();
        assert!(out.starts_with(b"[\n  [\n    ["));
        assert!(out.ends_with(b"\n    ]\n  ]\n]"));
        assert_eq!(out.windows(2).filter(|w| w == b"[]").count(), 1);
        assert_eq!(depth, 0);
    }

    /// Objects past the copy threshold stay in place: at the top, nested, in arrays, as the
    /// first or last member, next to small ones; the output must not change.
    #[test]
    fn big_objects_print_as_small_ones_do() {
        let big = |tag: &str| {
            let m: serde_json::Map<String, Value> = (0..3000)
                .map(|i| (format!("{tag}{:05}", 3000 - i), json!([i, "x".repeat(20)])))
                .collect();
            Value::Object(m)
        };
        #[derive(Serialize)]
        struct Outer {
            z: Value,
            a: Vec<Value>,
            m: Value,
            e: Value,
        }
        let doc = Outer {
            z: big("z"),
            a: vec![
                big("a"),
                json!({}),
                big("b"),
                json!({"y": 1, "x": big("c")}),
            ],
            m: json!({"k": big("d"), "j": []}),
            e: json!({}),
        };
        assert!(serde_json::to_vec(&doc.z).unwrap().len() > BIG);
        assert_eq!(ours(&doc, 0), by_value(&doc));
        assert_eq!(ours(&doc, 2), {
            // Two levels down, as in an array inside an array.
            let v = by_value(&vec![vec![&doc]]);
            v["[\n  [\n    ".len()..v.len() - "\n  ]\n]".len()].to_string()
        });
        assert_eq!(
            compact(&doc),
            serde_json::to_vec(&serde_json::to_value(&doc).unwrap()).unwrap()
        );
        let top = big("t");
        assert_eq!(ours(&top, 0), by_value(&top));
        assert_eq!(
            ours(&vec![big("p"), big("q")], 0),
            by_value(&vec![big("p"), big("q")])
        );
    }
}
