//! Endpoint Security clients among the processes: known by name, or by a dispatch queue of
//! the EndpointSecurity framework.

use kpanic_report::Spindump;
use serde::Serialize;

use crate::diagnose::suspects::is_third_party;

/// A process taken for an Endpoint Security client (by name, or an `endpointsecurity` dispatch queue).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct EsClient {
    /// Process id.
    pub pid: i64,
    /// Process name.
    pub name: String,
    /// Not an Apple process.
    pub third_party: bool,
    /// The product it belongs to, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_as: Option<String>,
}

/// Known Endpoint Security client processes: name (lower case, prefix), Apple?, product.
static ES_CLIENTS: &[(&str, bool, &str)] = &[
    ("endpointsecurityd", true, "Apple Endpoint Security daemon"),
    ("xprotect", true, "Apple XProtect"),
    ("falcond", false, "CrowdStrike Falcon"),
    ("com.crowdstrike", false, "CrowdStrike Falcon"),
    ("sentinelagent", false, "SentinelOne"),
    ("sentineld", false, "SentinelOne"),
    ("com.sentinelone", false, "SentinelOne"),
    ("jamfprotect", false, "Jamf Protect"),
    ("com.jamf.protect", false, "Jamf Protect"),
    ("wdavdaemon", false, "Microsoft Defender"),
    ("com.microsoft.wdav", false, "Microsoft Defender"),
    ("sophos", false, "Sophos"),
    ("com.sophos", false, "Sophos"),
    ("cbosxsensorservice", false, "Carbon Black"),
    ("com.vmware.carbonblack", false, "Carbon Black"),
    ("esets", false, "ESET"),
    ("com.eset", false, "ESET"),
    ("kav", false, "Kaspersky"),
    ("bdldaemon", false, "Bitdefender"),
    ("com.bitdefender", false, "Bitdefender"),
    ("rtprotectiondaemon", false, "Malwarebytes"),
    ("com.malwarebytes", false, "Malwarebytes"),
    ("santad", false, "Santa"),
    ("com.google.santa", false, "Santa"),
    ("osqueryd", false, "osquery"),
    ("elastic-endpoint", false, "Elastic Endpoint"),
    ("co.elastic", false, "Elastic Endpoint"),
    (
        "com.objective-see",
        false,
        "Objective-See (LuLu/BlockBlock)",
    ),
    ("lulu", false, "LuLu"),
    ("blockblock", false, "BlockBlock"),
    ("com.trendmicro", false, "Trend Micro"),
    ("com.cisco.amp", false, "Cisco AMP"),
    ("com.mcafee", false, "McAfee"),
    ("com.symantec", false, "Symantec"),
];

fn es_client(name: &str) -> Option<(bool, &'static str)> {
    let n = name.to_ascii_lowercase();
    ES_CLIENTS
        .iter()
        .find(|(p, _, _)| n.starts_with(p))
        .map(|(_, apple, k)| (*apple, *k))
}

pub(super) fn clients(sd: &Spindump) -> Vec<EsClient> {
    let mut es: Vec<EsClient> = Vec::new();
    for p in &sd.processes {
        let by_name = es_client(&p.name);
        let by_queue = p.threads.iter().any(|t| {
            t.dispatch_queue_label
                .as_deref()
                .is_some_and(|l| l.to_ascii_lowercase().contains("endpointsecurity"))
        });
        if by_name.is_some() || by_queue {
            let (apple, known) = by_name.unwrap_or((false, "Endpoint Security client"));
            es.push(EsClient {
                pid: p.pid,
                name: p.name.clone(),
                third_party: !apple && is_third_party(&p.name),
                known_as: Some(known.to_string()),
            });
        }
    }
    es
}
