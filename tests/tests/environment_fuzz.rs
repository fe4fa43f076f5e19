//! The environment parser over arbitrary strings: it never panics, and
//! always returns a configuration or a typed error naming the variable.

use proptest::prelude::*;
use tracekit::{Config, ConfigError};

const VARIABLES: [&str; 38] = [
    "TRACING_ENABLED",
    "TRACING_EXPORTER",
    "TRACING_OTLP_ENDPOINT",
    "TRACING_JAEGER_HOST",
    "TRACING_JAEGER_PORT",
    "TRACING_SAMPLE_RATE",
    "TRACING_CONSOLE_FORMAT",
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_MAX_QUEUE_SIZE",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    "OTEL_BSP_EXPORT_TIMEOUT",
    "TRACING_EXPORT_THREADS",
    "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
    "OTEL_SPAN_EVENT_COUNT_LIMIT",
    "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
    "OTEL_PROPAGATORS",
    "OTEL_EXPORTER_OTLP_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_CLIENT_KEY",
    "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
];

/// Settings that make the conditional variables be read.
const CONTEXTS: [&[(&str, &str)]; 3] =
    [&[], &[("TRACING_EXPORTER", "jaeger")], &[("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")]];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_variable_gives_a_config_or_an_error_naming_it(
        index in 0..VARIABLES.len(),
        context in 0..CONTEXTS.len(),
        value in any::<String>(),
    ) {
        let variable = VARIABLES[index];
        let lookup = |name: &str| {
            if name == variable {
                return Some(value.clone());
            }
            CONTEXTS[context].iter().find(|(key, _)| *key == name).map(|(_, v)| v.to_string())
        };
        match Config::from_lookup(lookup) {
            Ok(_) => {}
            Err(ConfigError::InvalidValue { variable: named, .. }) => {
                prop_assert!(named == variable || CONTEXTS[context].iter().any(|(key, _)| *key == named), "{named}");
            }
            Err(other) => prop_assert!(false, "untyped error {other:?}"),
        }
    }

    #[test]
    fn structured_values_never_panic(value in "[ -~]{0,64}") {
        for variable in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_PROPAGATORS", "TRACING_OTLP_ENDPOINT"] {
            let _ = Config::from_lookup(|name| (name == variable).then(|| value.clone()));
        }
    }
}
