//! The `--json` output of `symbolicate`, `diagnose` and `parse`, as the real binary writes it
//! for every corpus log and for the bundled example with its KDK, is valid under the published
//! schemas (docs/schema/COMMAND.schema.json). A failure lists every violation, with where it is
//! in which document.

mod common;

use common::{corpus_logs, root, stdout_ok};
use serde_json::Value;

const COMMANDS: [&str; 3] = ["symbolicate", "diagnose", "parse"];
const EXAMPLE: &str = "examples/fxdriver-panic.txt";
const EXAMPLE_KDK: &str = "examples/KDK_15.4_24E248.kdk";

/// The committed schema of a command.
fn schema(command: &str) -> Value {
    let path = root().join(format!("docs/schema/{command}.schema.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).expect("the schema is JSON")
}

/// The command's schema and the schema of one of its documents: the same definitions, with
/// the root's "a document or an array of them" replaced by the document (so that a violation
/// is reported where it is, not as "not valid under any of anyOf").
struct Validators {
    schemas: boon::Schemas,
    output: boon::SchemaIndex,
    document: boon::SchemaIndex,
}

impl Validators {
    fn new(command: &str) -> Self {
        let output = schema(command);
        let mut document = output.clone();
        let doc_ref = output["anyOf"][0]["$ref"].clone();
        assert!(
            doc_ref.is_string(),
            "{command}: the root's first anyOf is the document"
        );
        let obj = document.as_object_mut().expect("an object");
        obj.remove("anyOf");
        obj.remove("$id");
        obj.insert("$ref".into(), doc_ref);

        let output_url = format!("file:///docs/schema/{command}.schema.json");
        let document_url = format!("file:///docs/schema/{command}.document.schema.json");
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.set_default_draft(boon::Draft::V2020_12);
        let mut compile = |url: &str, schema: Value| {
            if let Err(e) = compiler.add_resource(url, schema) {
                panic!("{command}: {url}: {e:#}");
            }
            compiler
                .compile(url, &mut schemas)
                .unwrap_or_else(|e| panic!("{command}: not a valid schema: {e:#}"))
        };
        let output = compile(&output_url, output);
        let document = compile(&document_url, document);
        Validators {
            schemas,
            output,
            document,
        }
    }

    /// True when `output` (a document or an array of them) is valid.
    fn is_valid(&self, output: &Value) -> bool {
        self.schemas.validate(output, self.output).is_ok()
    }

    /// Every violation in `output` (a document or an array of them), as
    /// `LABEL: /path: message`.
    fn violations(&self, label: &str, output: &Value) -> Vec<String> {
        let documents: Vec<(String, &Value)> = match output {
            Value::Array(docs) => docs
                .iter()
                .enumerate()
                .map(|(i, d)| (format!("{label} [{i}]"), d))
                .collect(),
            doc => vec![(label.to_string(), doc)],
        };
        let mut found = Vec::new();
        for (label, doc) in documents {
            if let Err(e) = self.schemas.validate(doc, self.document) {
                leaves(&e, &label, &mut found);
            }
        }
        if found.is_empty() && !self.is_valid(output) {
            found.push(format!(
                "{label}: the output is neither a document nor an array of them"
            ));
        }
        found
    }
}

/// The innermost errors of a validation error: each names the value at fault and why.
fn leaves(e: &boon::ValidationError, label: &str, found: &mut Vec<String>) {
    if e.causes.is_empty() {
        found.push(format!("{label}: {}: {}", e.instance_location, e.kind));
    }
    for cause in &e.causes {
        leaves(cause, label, found);
    }
}

/// The bundled example, with its KDK where the command takes one (`parse` reads no symbols).
fn example_args(command: &str) -> Vec<String> {
    let mut args = vec![command, "--json", EXAMPLE];
    if command != "parse" {
        args.extend(["--kdk", EXAMPLE_KDK]);
    }
    args.into_iter().map(String::from).collect()
}

/// `kpanic ARGS` (which must exit 0) as JSON.
fn json_of(args: &[&str]) -> Value {
    serde_json::from_slice(&stdout_ok(args)).unwrap_or_else(|e| panic!("kpanic {args:?}: {e}"))
}

/// Validates `command --json` on every corpus log, on the example with its KDK, and on two
/// files at once (an array), and fails listing every violation.
fn validate_command(command: &str) {
    let validators = Validators::new(command);
    let logs: Vec<String> = corpus_logs()
        .into_iter()
        .map(|n| format!("testdata/corpus/{n}"))
        .collect();
    let mut runs: Vec<Vec<String>> = logs
        .iter()
        .map(|log| vec![command.to_string(), "--json".to_string(), log.clone()])
        .collect();
    runs.push(example_args(command));
    runs.push(
        [command, "--json", &logs[0], &logs[logs.len() - 1]]
            .map(String::from)
            .to_vec(),
    );
    let mut violations = Vec::new();
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = json_of(&args);
        violations.extend(validators.violations(&args[2..].join(" "), &output));
    }
    assert!(
        violations.is_empty(),
        "`kpanic {command} --json` output not valid under docs/schema/{command}.schema.json \
         ({} violations):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[test]
fn symbolicate_output_is_valid() {
    validate_command("symbolicate");
}

#[test]
fn diagnose_output_is_valid() {
    validate_command("diagnose");
}

#[test]
fn parse_output_is_valid() {
    validate_command("parse");
}

/// `f` applied to `doc` must make it invalid, with a violation at `path`.
fn assert_caught(validators: &Validators, doc: &Value, path: &str, f: impl FnOnce(&mut Value)) {
    let mut bad = doc.clone();
    f(&mut bad);
    let found = validators.violations("mutated", &bad);
    assert!(
        found
            .iter()
            .any(|v| v.starts_with(&format!("mutated: {path}: "))),
        "a mutation at {path} was not caught: {found:?}"
    );
    assert!(!validators.is_valid(&bad));
}

/// The schemas catch real mistakes: a hex string written as a number, a required field gone,
/// a key no type writes, a null for an absent field, a UUID in lower case, an unknown class.
#[test]
fn mistakes_are_caught() {
    for command in COMMANDS {
        let validators = Validators::new(command);
        let args = example_args(command);
        let doc = json_of(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(validators.violations("example", &doc).is_empty());
        assert_caught(&validators, &doc, "", |d| {
            d.as_object_mut().unwrap().remove("schema_version");
        });
        assert_caught(&validators, &doc, "", |d| {
            d["unexpected"] = Value::Bool(true);
        });
        assert_caught(&validators, &doc, "/schema_version", |d| {
            d["schema_version"] = Value::from(kpanic::output::json::SCHEMA_VERSION + 1);
        });
        // The report, where each document has it.
        let report = if command == "parse" { "" } else { "/report" };
        if command != "diagnose" {
            assert_caught(
                &validators,
                &doc,
                &format!("{report}/slides/kernel_slide"),
                |d| {
                    let r = if command == "parse" {
                        d
                    } else {
                        &mut d["report"]
                    };
                    let slide = r["slides"]["kernel_slide"].as_str().unwrap();
                    let n = u64::from_str_radix(&slide[2..], 16).unwrap();
                    r["slides"]["kernel_slide"] = Value::from(n);
                },
            );
            assert_caught(
                &validators,
                &doc,
                &format!("{report}/system/kernel_uuid"),
                |d| {
                    let r = if command == "parse" {
                        d
                    } else {
                        &mut d["report"]
                    };
                    let uuid = r["system"]["kernel_uuid"].as_str().unwrap().to_lowercase();
                    r["system"]["kernel_uuid"] = Value::from(uuid);
                },
            );
            assert_caught(&validators, &doc, &format!("{report}/panic"), |d| {
                let r = if command == "parse" {
                    d
                } else {
                    &mut d["report"]
                };
                r["panic"].as_object_mut().unwrap().remove("message");
            });
            assert_caught(&validators, &doc, &format!("{report}/epoch_time"), |d| {
                let r = if command == "parse" {
                    d
                } else {
                    &mut d["report"]
                };
                r["epoch_time"] = Value::Null;
            });
        }
        if command == "symbolicate" {
            assert_caught(
                &validators,
                &doc,
                "/symbolication/backtrace/0/address",
                |d| d["symbolication"]["backtrace"][0]["address"] = Value::from(0x1234),
            );
            assert_caught(
                &validators,
                &doc,
                "/symbolication/backtrace/0/symbols/0",
                |d| {
                    let sym = &mut d["symbolication"]["backtrace"][0]["symbols"][0];
                    assert!(sym.is_object(), "the example's first frame is resolved");
                    sym.as_object_mut().unwrap().remove("function");
                },
            );
            assert_caught(&validators, &doc, "/symbolication/images/0/status", |d| {
                d["symbolication"]["images"][0]["status"] = Value::from("fine");
            });
        }
        if command == "diagnose" {
            assert_caught(&validators, &doc, "/diagnosis/class", |d| {
                d["diagnosis"]["class"] = Value::from("not_a_class");
            });
            assert_caught(&validators, &doc, "/diagnosis/findings/0/confidence", |d| {
                d["diagnosis"]["findings"][0]["confidence"] = Value::from("certain");
            });
        }
    }
}
