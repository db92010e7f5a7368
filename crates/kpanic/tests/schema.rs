//! The published JSON Schemas (docs/schema/) are the ones kpanic's types generate.
//!
//! After a change to the JSON output's types, regenerate them with
//! `KPANIC_UPDATE_SCHEMA=1 cargo test -p kpanic-engine --test schema` and commit the files.

use std::path::PathBuf;

fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema")
}

#[test]
fn committed_schemas_are_generated() {
    let update = std::env::var_os("KPANIC_UPDATE_SCHEMA").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (command, schema) in kpanic::output::json::schemas() {
        let path = schema_dir().join(format!("{command}.schema.json"));
        let generated = serde_json::to_string_pretty(&schema).expect("serializes") + "\n";
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed == generated {
            continue;
        }
        if update {
            std::fs::create_dir_all(schema_dir()).expect("docs/schema");
            std::fs::write(&path, generated).expect("schema written");
        } else {
            stale.push(format!("docs/schema/{command}.schema.json"));
        }
    }
    assert!(
        stale.is_empty(),
        "{} differ from what kpanic's types generate; regenerate them with \
         `KPANIC_UPDATE_SCHEMA=1 cargo test -p kpanic-engine --test schema` and commit them",
        stale.join(", ")
    );
}

#[test]
fn schemas_name_kpanic_and_the_schema_version() {
    for (command, schema) in kpanic::output::json::schemas() {
        let version = kpanic::output::json::SCHEMA_VERSION;
        let title = schema["title"].as_str().expect("a title");
        assert!(
            title.contains("kpanic") && title.contains(&format!("schema_version {version}")),
            "{command}: {title}"
        );
        let id = schema["$id"].as_str().expect("an $id");
        assert!(
            id.ends_with(&format!("/v{version}/{command}.schema.json")),
            "{id}"
        );
    }
}
