//! `.ips` / `.panic` JSON: the header line and the body's metadata keys.

use schemars::JsonSchema;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Error as _, SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;

/// A JSON value kept as its source text: the keys of an `.ips` file that kpanic does not know.
/// Reading it builds no tree (a generic [`Value`] costs ~100× its text on arrays of tiny objects);
/// it serializes exactly as the equivalent [`Value`] would: keys sorted, numbers and strings
/// normalized, compact or pretty as the serializer wants.
#[derive(Debug, Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// Keeps `raw` when it is a value [`Value`] would accept (same grammar, same nesting limit),
    /// checked without building it; `None` otherwise.
    pub(crate) fn new(raw: &RawValue) -> Option<Self> {
        serde_json::from_str::<Validate>(raw.get()).ok()?;
        Some(RawJson(raw.to_owned()))
    }

    /// JSON text written by a serializer (`serde_json::to_string`), kept as text: it prints as
    /// the [`Value`] it stands for would, without building that tree. `None` when it is not JSON
    /// or nests deeper than 1024 levels.
    pub fn from_json_text(text: String) -> Option<Self> {
        (nesting_depth(&text) <= 1024).then_some(())?;
        RawValue::from_string(text).ok().map(RawJson)
    }

    /// The value as a `u64`, when it is one (like [`Value::as_u64`]).
    pub fn as_u64(&self) -> Option<u64> {
        serde_json::from_str(self.0.get()).ok()
    }

    /// The value's JSON text as it was in the file.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The value as a generic JSON tree (builds it: fine for small values).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if VERBATIM.with(Cell::get) {
            return self.0.serialize(s);
        }
        Canonical(self.0.get()).serialize(s)
    }
}

/// Any JSON value.
/// Only from `serde_json` (the value is borrowed from its input as text).
impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        RawJson::new(&raw).ok_or_else(|| de::Error::custom("not a JSON value kpanic can keep"))
    }
}

impl JsonSchema for RawJson {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RawJson".into()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        "kpanic_report::RawJson".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!(true)
    }
}

thread_local! {
    static VERBATIM: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` (a `serde_json` serialization) with every [`RawJson`] written as its text as it
/// was, not normalized: for JSON text that will be read back as [`RawJson::from_json_text`],
/// which normalizes it when printed. Saves normalizing big unknown values twice.
pub fn with_raw_json_verbatim<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            VERBATIM.with(|v| v.set(self.0));
        }
    }
    let _reset = Reset(VERBATIM.with(|v| v.replace(true)));
    f()
}

/// The deepest nesting of arrays and objects in JSON text.
fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Serializes JSON text as its [`Value`] would be, one level at a time: an object or an array is
/// split into the raw texts of its members (a pointer and a length each), scalars go through
/// [`Value`].
struct Canonical<'a>(&'a str);

impl Serialize for Canonical<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.0.trim_start();
        match text.as_bytes().first() {
            Some(b'{') => {
                let members: BTreeMap<String, &RawValue> =
                    serde_json::from_str(text).map_err(S::Error::custom)?;
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in &members {
                    map.serialize_entry(k, &Canonical(v.get()))?;
                }
                map.end()
            }
            Some(b'[') => {
                let items: Vec<&RawValue> = serde_json::from_str(text).map_err(S::Error::custom)?;
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for v in &items {
                    seq.serialize_element(&Canonical(v.get()))?;
                }
                seq.end()
            }
            _ => serde_json::from_str::<Value>(text)
                .map_err(S::Error::custom)?
                .serialize(s),
        }
    }
}

/// Accepts what [`Value`] accepts, keeping nothing.
struct Validate;

impl<'de> Deserialize<'de> for Validate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValidateVisitor)
    }
}

struct ValidateVisitor;

impl<'de> Visitor<'de> for ValidateVisitor {
    type Value = Validate;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Validate, E> {
        Ok(Validate)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Validate, E> {
        Ok(Validate)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Validate, E> {
        Ok(Validate)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Validate, E> {
        Ok(Validate)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Validate, E> {
        Ok(Validate)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Validate, E> {
        Ok(Validate)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Validate, A::Error> {
        while seq.next_element::<Validate>()?.is_some() {}
        Ok(Validate)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Validate, A::Error> {
        while map.next_key::<Validate>()?.is_some() {
            map.next_value::<Validate>()?;
        }
        Ok(Validate)
    }
}

/// What an `.ips`/`.panic` JSON file says besides the panic text: its header line and body keys.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct IpsInfo {
    /// Line 1 of the file (`bug_type`, `timestamp`, `os_version`, …).
    pub header: IpsHeader,
    /// The body's metadata keys (`build`, `product`, `memoryStatus`, …).
    pub body: IpsBody,
    /// Body key the panic text came from: `panicString`, `macOSPanicString` or `string`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic_string_key: Option<String>,
    /// False when the body was not valid JSON and values were extracted leniently.
    pub body_complete: bool,
}

/// Line 1 of the file. Values are strings except `roots_installed`.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct IpsHeader {
    /// 210 = kernel panic, 151 = forceReset(-full); 309 (app crash) and others are not panics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bug_type: Option<String>,
    /// `timestamp`: when the report was written, as printed (`2025-06-03 10:41:12.00 +0200`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// `os_version`: the OS name, version and build (`macOS 15.5 (24F74)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// `incident_id`: the report's UUID, as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
    /// `roots_installed`: number of roots (modified system content) installed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roots_installed: Option<i64>,
    /// bridgeOS: `bridgeos` / `macos`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<String>,
    /// `macos_system_state` (bridgeOS), as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub macos_system_state: Option<String>,
    /// Keys not listed above, verbatim.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub other: BTreeMap<String, RawJson>,
}

/// Body keys other than the panic text and the stackshot.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct IpsBody {
    /// `build`: the OS as printed (`macOS 15.5 (24F74)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// `product`: the hardware model (`Mac14,2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// `socId`: the SoC's id (`8112`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soc_id: Option<String>,
    /// `socRevision`, as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soc_revision: Option<String>,
    /// `kernel`: the Darwin kernel version string (`Darwin Kernel Version 24.5.0: …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// `incident`: the report's UUID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// `crashReporterKey`: an anonymous per-machine id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crash_reporter_key: Option<String>,
    /// `date`: when the panic was reported, as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// `panicFlags`, as printed (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic_flags: Option<String>,
    /// `panicProcessingFlags`, as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic_processing_flags: Option<String>,
    /// The body's `bug_type` (same meaning as the header's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bug_type: Option<String>,
    /// `panicInitiator` (e.g. `SOCD`, who asked for the panic), as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic_initiator: Option<String>,
    /// `otherString`: extra text some panics carry (coprocessor or bridgeOS details).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_string: Option<String>,
    /// The `macOSPanicString` when the panic text came from another key (bridgeOS: "not yet set").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub macos_panic_string: Option<String>,
    /// The `panicString` when the panic text came from `macOSPanicString` (a T2 Mac's file can
    /// hold both: the bridgeOS side's string and the macOS kernel's own panic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic_string: Option<String>,
    /// `notes`: remarks of the report writer (`"Full panic log written"`…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// `memoryStatus`: VM statistics at the panic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_status: Option<MemoryStatus>,
    /// Keys not listed above (and not `processByPid`/`binaryImages`), verbatim.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub other: BTreeMap<String, RawJson>,
}

/// `memoryStatus`. Read by hand (see [`RawJson`]): a derived reader buffers the unknown keys of
/// a struct with a flattened map as a generic tree.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[schemars(description = "The body's `memoryStatus`; keys not listed kept verbatim.")]
#[serde(rename_all = "camelCase")]
pub struct MemoryStatus {
    /// `pageSize`: bytes per page (16384 on arm64, 4096 on Intel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    /// `compressorSize`: pages held by the VM compressor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressor_size: Option<u64>,
    /// `compressions`: pages compressed since boot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressions: Option<u64>,
    /// `decompressions`: pages decompressed since boot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decompressions: Option<u64>,
    /// `busyBufferCount`: busy buffer cache buffers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busy_buffer_count: Option<u64>,
    /// `memoryPressure`: whether the system was under memory pressure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_pressure: Option<bool>,
    /// `memoryPressureDetails`, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_pressure_details: Option<BTreeMap<String, RawJson>>,
    /// `memoryPages`: page counts by state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_pages: Option<MemoryPages>,
    /// Keys not listed above, verbatim.
    #[serde(flatten)]
    pub other: BTreeMap<String, RawJson>,
}

/// `memoryStatus.memoryPages`, read by hand like [`MemoryStatus`].
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[schemars(description = "`memoryStatus.memoryPages`; keys not listed kept verbatim.")]
#[serde(rename_all = "camelCase")]
pub struct MemoryPages {
    /// Active pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<u64>,
    /// Inactive pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inactive: Option<u64>,
    /// Wired pages (cannot be paged out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wired: Option<u64>,
    /// Free pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free: Option<u64>,
    /// Speculative (read-ahead) pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speculative: Option<u64>,
    /// Throttled pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttled: Option<u64>,
    /// `fileBacked`: pages backed by files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_backed: Option<u64>,
    /// Purgeable pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purgeable: Option<u64>,
    /// Keys not listed above, verbatim.
    #[serde(flatten)]
    pub other: BTreeMap<String, RawJson>,
}

/// An object's members as raw JSON text (the input must come from `serde_json`).
type RawMembers = BTreeMap<String, Box<RawValue>>;

/// Takes member `key` as a `T` (`null` is `None`).
fn take_member<T: de::DeserializeOwned, E: de::Error>(
    members: &mut RawMembers,
    key: &str,
) -> Result<Option<T>, E> {
    match members.remove(key) {
        None => Ok(None),
        Some(raw) => serde_json::from_str::<Option<T>>(raw.get())
            .map_err(|e| E::custom(format_args!("{key}: {e}"))),
    }
}

/// The members left, kept as text; a member [`Value`] would refuse is an error, as it was.
fn rest_members<E: de::Error>(members: RawMembers) -> Result<BTreeMap<String, RawJson>, E> {
    members
        .into_iter()
        .map(|(k, raw)| match RawJson::new(&raw) {
            Some(v) => Ok((k, v)),
            None => Err(E::custom(format_args!(
                "{k}: not a JSON value kpanic can keep"
            ))),
        })
        .collect()
}

impl<'de> Deserialize<'de> for MemoryStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut m = RawMembers::deserialize(d)?;
        let details = match m.remove("memoryPressureDetails") {
            None => None,
            Some(raw) => serde_json::from_str::<Option<RawMembers>>(raw.get())
                .map_err(|e| de::Error::custom(format_args!("memoryPressureDetails: {e}")))?
                .map(rest_members)
                .transpose()?,
        };
        Ok(MemoryStatus {
            page_size: take_member(&mut m, "pageSize")?,
            compressor_size: take_member(&mut m, "compressorSize")?,
            compressions: take_member(&mut m, "compressions")?,
            decompressions: take_member(&mut m, "decompressions")?,
            busy_buffer_count: take_member(&mut m, "busyBufferCount")?,
            memory_pressure: take_member(&mut m, "memoryPressure")?,
            memory_pressure_details: details,
            memory_pages: take_member(&mut m, "memoryPages")?,
            other: rest_members(m)?,
        })
    }
}

impl<'de> Deserialize<'de> for MemoryPages {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut m = RawMembers::deserialize(d)?;
        Ok(MemoryPages {
            active: take_member(&mut m, "active")?,
            inactive: take_member(&mut m, "inactive")?,
            wired: take_member(&mut m, "wired")?,
            free: take_member(&mut m, "free")?,
            speculative: take_member(&mut m, "speculative")?,
            throttled: take_member(&mut m, "throttled")?,
            file_backed: take_member(&mut m, "fileBacked")?,
            purgeable: take_member(&mut m, "purgeable")?,
            other: rest_members(m)?,
        })
    }
}
