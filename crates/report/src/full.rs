//! Full panics: the `processByPid` stackshot and the `binaryImages` table, deserialized into
//! typed structs in one pass (the big files hold thousands of threads).

use crate::model::{BinaryImage, ImageKind, Process, Spindump};
use crate::UnslidAddr;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

pub(crate) fn parse_spindump(
    process_by_pid: Option<&RawValue>,
    binary_images: Option<&RawValue>,
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
    if let Some(raw) = process_by_pid {
        match serde_json::from_str::<BTreeMap<String, Process>>(raw.get()) {
            Ok(map) => {
                let mut processes: Vec<Process> = map.into_values().collect();
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
