//! Full panics: the `processByPid` stackshot and the `binaryImages` table, deserialized into
//! typed structs (the big files hold thousands of threads): in one pass with the rest of the
//! body when the file is sound (`stream`), a process at a time when it is not.

mod lean;
mod stream;

pub(crate) use stream::{full_threads, read_body, Body, Processes};

use crate::model::{BinaryImage, ImageKind, Process, RawJson, Spindump, Thread};
use crate::{ParseOptions, UnslidAddr};
use lean::LeanProcess;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;

pub(crate) fn parse_spindump(
    processes: Option<Processes<'_>>,
    binary_images: Option<&RawValue>,
    opts: &ParseOptions,
    warnings: &mut Vec<String>,
) -> Spindump {
    let mut sd = Spindump::default();
    if let Some(raw) = binary_images {
        match serde_json::from_str::<Vec<(String, u64, String)>>(raw.get()) {
            Ok(images) => {
                sd.binary_images = images
                    .into_iter()
                    .enumerate()
                    .map(|(i, (uuid, base, letter))| BinaryImage {
                        uuid: uuid.parse().map_or_else(
                            |_| {
                                warnings.push(format!("binaryImages[{i}]: {uuid:?} is not a UUID"));
                                None
                            },
                            Some,
                        ),
                        base: UnslidAddr(base),
                        kind: ImageKind::from_letter(&letter),
                    })
                    .collect();
            }
            Err(e) => warnings.push(format!(
                "binaryImages is not a list of [uuid, base, letter]: {e}"
            )),
        }
    }
    if let Some(processes) = processes {
        match read_processes(processes, opts, warnings) {
            Ok(mut processes) => {
                processes.sort_by_key(|p| p.pid);
                for p in &mut processes {
                    attach_wait_info(p);
                }
                sd.processes = processes;
            }
            Err(e) => warnings.push(format!("processByPid could not be read: {e}")),
        }
    }
    let n = sd.binary_images.len() as u64;
    let bad = sd
        .processes
        .iter()
        .flat_map(|p| &p.threads)
        .flat_map(|t| t.kernel_frames.iter().chain(&t.user_frames))
        .filter(|f| f.image >= n)
        .count();
    if bad > 0 {
        warnings.push(format!(
            "{bad} stackshot frames refer to a binary image index past the table ({n} images)"
        ));
    }
    sd
}

/// `waitInfo` lines start with `thread <tid>: `; give each thread its own.
fn attach_wait_info(p: &mut Process) {
    for w in &p.wait_info {
        let Some(rest) = w.strip_prefix("thread ") else {
            continue;
        };
        let Some((tid, what)) = rest.split_once(':') else {
            continue;
        };
        let Ok(tid) = tid.trim().parse::<u64>() else {
            continue;
        };
        if let Ok(i) = p.threads.binary_search_by_key(&tid, |t| t.id) {
            if let Some(t) = p.threads.get_mut(i) {
                t.wait_info = Some(what.trim().to_string());
            }
        }
    }
}

/// `processByPid` as the body's one pass left it. From text, each process is read twice, once
/// for the known keys (a derived reader that skips the others without building them) and once
/// for the names of the others, kept verbatim; the same for each thread. Cost stays linear in
/// the text: no generic tree. A process that cannot be read is left out with a warning; the
/// others are kept. Without `keep_unknown_stackshot_keys`, the first read only.
fn read_processes(
    processes: Processes<'_>,
    opts: &ParseOptions,
    warnings: &mut Vec<String>,
) -> serde_json::Result<Vec<Process>> {
    let by_pid: BTreeMap<String, &RawValue> = match processes {
        Processes::Read(read) => return Ok(read),
        Processes::ByPid(by_pid) => by_pid,
        Processes::Text(raw) => serde_json::from_str(raw.get())?,
    };
    let process_fields = serde_fields::<Process>();
    let thread_fields = serde_fields::<Thread>();
    let mut out = Vec::with_capacity(by_pid.len());
    for (pid, raw) in by_pid {
        let read = if opts.keep_unknown_stackshot_keys {
            read_process(raw, opts, process_fields, thread_fields)
        } else {
            read_known(raw, opts)
        };
        match read {
            Ok(p) => out.push(p),
            Err(e) => warnings.push(format!("processByPid {pid:?} could not be read: {e}")),
        }
    }
    Ok(out)
}

/// A process's known keys: all of them, or the lean set.
fn read_known(raw: &RawValue, opts: &ParseOptions) -> serde_json::Result<Process> {
    if opts.keep_every_stackshot_field {
        serde_json::from_str(raw.get())
    } else {
        serde_json::from_str::<LeanProcess>(raw.get()).map(Into::into)
    }
}

fn read_process(
    raw: &RawValue,
    opts: &ParseOptions,
    process_fields: &[&str],
    thread_fields: &[&str],
) -> serde_json::Result<Process> {
    {
        let mut p = read_known(raw, opts)?;
        let members = members(raw)?;
        for (k, v) in &members {
            if k == "threadById" {
                for (_, t) in self::members(v)? {
                    attach_unknown_thread_keys(&mut p, t, thread_fields)?;
                }
            } else if !process_fields.contains(&k.as_ref()) {
                if let Some(v) = RawJson::new(v) {
                    p.other.insert(k.to_string(), v);
                }
            }
        }
        Ok(p)
    }
}

fn attach_unknown_thread_keys(
    p: &mut Process,
    raw: &RawValue,
    known: &[&str],
) -> serde_json::Result<()> {
    let members = members(raw)?;
    let unknown: Vec<&(Cow<str>, &RawValue)> = members
        .iter()
        .filter(|(k, _)| !known.contains(&k.as_ref()))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let id: u64 = match members.iter().find(|(k, _)| k == "id") {
        Some((_, v)) => serde_json::from_str(v.get()).unwrap_or_default(),
        None => 0,
    };
    if let Ok(i) = p.threads.binary_search_by_key(&id, |t| t.id) {
        for (k, v) in unknown {
            if let Some(v) = RawJson::new(v) {
                p.threads[i].other.insert(k.to_string(), v);
            }
        }
    }
    Ok(())
}

/// The members of a JSON object in key order (the last of equal keys wins, as in a map), the
/// keys borrowed from the text: a full panic has tens of thousands of them, and a `String`
/// each was a fifth of the parse. Keys with escapes (none seen in Apple's files) are copied.
fn members(raw: &RawValue) -> serde_json::Result<Vec<(Cow<'_, str>, &RawValue)>> {
    match serde_json::from_str::<BTreeMap<&str, &RawValue>>(raw.get()) {
        Ok(m) => Ok(m.into_iter().map(|(k, v)| (Cow::Borrowed(k), v)).collect()),
        Err(_) => {
            let m: BTreeMap<String, &RawValue> = serde_json::from_str(raw.get())?;
            Ok(m.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect())
        }
    }
}

/// The keys a derived `Deserialize` of `T` reads: the field list serde hands to
/// `deserialize_struct`, caught by a deserializer that answers nothing else.
fn serde_fields<'de, T: serde::Deserialize<'de>>() -> &'static [&'static str] {
    use serde::de::{self, Visitor};

    #[derive(Debug)]
    struct Fields(&'static [&'static str]);
    impl std::fmt::Display for Fields {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field probe")
        }
    }
    impl std::error::Error for Fields {}
    impl de::Error for Fields {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Fields(&[])
        }
    }
    struct Probe;
    impl<'de> de::Deserializer<'de> for Probe {
        type Error = Fields;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Fields> {
            Err(Fields(&[]))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Fields> {
            Err(Fields(fields))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    match T::deserialize(Probe) {
        Err(Fields(f)) => f,
        Ok(_) => &[],
    }
}
