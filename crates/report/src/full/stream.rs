//! An `.ips` body read in one pass: its keys as text, and `processByPid` (nine tenths of a full
//! panic) read as it streams by, not first cut into raw values and then read again.
//!
//! Reading it in one pass cannot leave out one bad process and keep the others: a typed read
//! that fails stops the whole stream. So when the one pass fails, the body is read again the
//! careful way (every key as text, then each process on its own, a bad one left out with a
//! warning): what that gives is what the one pass would have given had it succeeded, and a
//! damaged file costs two reads instead of one.

use super::lean::{LeanProcess, LeanThread};
use crate::model::{Process, Thread};
use crate::ParseOptions;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// The keys of an `.ips` body.
pub(crate) struct Body<'a> {
    /// Every key but `processByPid`, as its text; the last of equal keys wins.
    pub map: BTreeMap<String, &'a RawValue>,
    /// `processByPid`, when the body has one.
    pub processes: Option<Processes<'a>>,
}

/// `processByPid`, read as far as the one pass could.
pub(crate) enum Processes<'a> {
    /// Its text (the careful read): each process is read from it on its own.
    Text(&'a RawValue),
    /// Each process's text by pid: for reads that keep the unknown keys, which need it.
    ByPid(BTreeMap<String, &'a RawValue>),
    /// Read: in key order, the last of equal keys kept (as a map would).
    Read(Vec<Process>),
}

/// Reads the body `text` (a JSON object): in one pass, or when that fails, the careful way.
/// The error is the careful read's.
pub(crate) fn read_body<'a>(text: &'a str, opts: &ParseOptions) -> serde_json::Result<Body<'a>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let one_pass = BodySeed { opts }
        .deserialize(&mut de)
        .and_then(|body| de.end().map(|()| body));
    if let Ok(body) = one_pass {
        return Ok(body);
    }
    let mut map: BTreeMap<String, &RawValue> = serde_json::from_str(text)?;
    let processes = map.remove("processByPid").map(Processes::Text);
    Ok(Body { map, processes })
}

struct BodySeed<'o> {
    opts: &'o ParseOptions,
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_> {
    type Value = Body<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Body<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_> {
    type Value = Body<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an .ips body (a JSON object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Body<'de>, A::Error> {
        let mut body = Body {
            map: BTreeMap::new(),
            processes: None,
        };
        while let Some(key) = access.next_key::<String>()? {
            if key != "processByPid" {
                body.map.insert(key, access.next_value()?);
            } else if self.opts.keep_unknown_stackshot_keys {
                body.processes = Some(Processes::ByPid(access.next_value()?));
            } else if self.opts.keep_every_stackshot_field {
                let read = access.next_value_seed(ByKey::<Process>(PhantomData))?;
                body.processes = Some(Processes::Read(read));
            } else {
                let read = access.next_value_seed(ByKey::<LeanProcess>(PhantomData))?;
                body.processes = Some(Processes::Read(read.into_iter().map(Into::into).collect()));
            }
        }
        Ok(body)
    }
}

/// An object's values read as `T`, in the order a map keyed by the object's keys would hold
/// them (the last of equal keys wins).
struct ByKey<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for ByKey<T> {
    type Value = Vec<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ByKey<T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Vec<T>, A::Error> {
        let mut keys: Vec<(Key<'de>, usize)> = Vec::new();
        let mut values: Vec<Option<T>> = Vec::new();
        while let Some(k) = access.next_key::<Key<'de>>()? {
            keys.push((k, values.len()));
            values.push(Some(access.next_value()?));
        }
        // A map's order: by key (stable, so equal keys stay in file order), the last kept.
        // The keys are sorted, not the values: a thread is a few hundred bytes to move.
        keys.sort_by(|a, b| a.0 .0.cmp(&b.0 .0));
        let mut out: Vec<T> = Vec::with_capacity(values.len());
        for (n, (k, i)) in keys.iter().enumerate() {
            if keys.get(n + 1).is_some_and(|next| next.0 == *k) {
                continue;
            }
            out.extend(values.get_mut(*i).and_then(Option::take));
        }
        Ok(out)
    }
}

/// An object key, borrowed from the text unless it has escapes: a `String` per thread was a
/// measurable share of the parse.
#[derive(PartialEq)]
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// `threadById` is an object keyed by thread id; a list sorted by id is easier to use (threads
/// of equal id in key order).
pub(crate) fn threads_from_map<'de, D, T>(d: D) -> Result<Vec<Thread>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Into<Thread>,
{
    let read = ByKey::<T>(PhantomData).deserialize(d)?;
    let mut threads: Vec<Thread> = read.into_iter().map(Into::into).collect();
    threads.sort_by_key(|t| t.id);
    Ok(threads)
}

/// [`threads_from_map`] of every field (the `Thread` derive's reader).
pub(crate) fn full_threads<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Thread>, D::Error> {
    threads_from_map::<D, Thread>(d)
}

/// [`threads_from_map`] of the fields a diagnosis reads.
pub(crate) fn lean_threads<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Thread>, D::Error> {
    threads_from_map::<D, LeanThread>(d)
}
