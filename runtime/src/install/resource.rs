//! The resource every span carries: who made it.

use super::Settings;
use crate::support::conventions::{
    HOST_ARCH, HOST_NAME, OS_TYPE, PROCESS_EXECUTABLE_NAME, PROCESS_PID, SERVICE_VERSION,
};
use opentelemetry::KeyValue;
use opentelemetry_sdk::resource::TelemetryResourceDetector;
use opentelemetry_sdk::Resource;

/// `service.name` and `service.version`, the configured attributes,
/// `telemetry.sdk.*`, and the process and host this runs on.
pub(crate) fn build(config: &Settings) -> Resource {
    let mut attributes = process_and_host();
    attributes.extend(config.resource_attributes.iter().map(|(key, value)| KeyValue::new(key.clone(), value.clone())));
    if let Some(version) = &config.service_version {
        attributes.push(KeyValue::new(SERVICE_VERSION, version.clone()));
    }
    Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes(attributes)
        .with_service_name(service_name(config))
        .build()
}

/// The configured name, else the executable's: more useful in a backend
/// than the SDK's `unknown_service`.
pub(crate) fn service_name(config: &Settings) -> String {
    config.service_name.clone().or_else(executable_name).unwrap_or_else(|| "unknown_service".to_owned())
}

fn executable_name() -> Option<String> {
    let path = std::env::current_exe().ok()?;
    Some(path.file_stem()?.to_string_lossy().into_owned())
}

fn process_and_host() -> Vec<KeyValue> {
    let mut attributes = vec![
        KeyValue::new(PROCESS_PID, i64::from(std::process::id())),
        KeyValue::new(HOST_ARCH, host_arch()),
        KeyValue::new(OS_TYPE, os_type()),
    ];
    if let Some(name) = executable_name() {
        attributes.push(KeyValue::new(PROCESS_EXECUTABLE_NAME, name));
    }
    if let Some(name) = host_name() {
        attributes.push(KeyValue::new(HOST_NAME, name));
    }
    attributes
}

/// Rust's architecture names, in the semantic conventions' spelling.
fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm32",
        "powerpc" => "ppc32",
        "powerpc64" => "ppc64",
        other => other,
    }
}

fn os_type() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    }
}

fn host_name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
}
