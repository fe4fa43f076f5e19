//! The environment variables, mapped onto a [`Config`]: `TRACING_*` first,
//! then the standard `OTEL_*`, then the defaults.

use super::key_values;
use super::vars::Vars;
use super::{Config, Exporter};
use crate::error::ConfigError;
use crate::export::batch::{SizeSettings, SIZE_EXPECTED};
use crate::export::console::ConsoleFormat;
use crate::export::otlp::{self, Compression, Endpoint, PemFile, Protocol, Secret};
use crate::facade::diagnostics::LogLevel;
use crate::pipeline::{self as sampling, Sampler};
use crate::propagation::Propagator;

pub(super) fn read(vars: &Vars<'_>) -> Result<Config, ConfigError> {
    let mut config = Config::new();

    let disabled = vars.flag("OTEL_SDK_DISABLED")?;
    config.enabled = vars.flag("TRACING_ENABLED")?.or(disabled.map(|disabled| !disabled)).unwrap_or(true);

    let tracing_exporter = vars.choice(
        "TRACING_EXPORTER",
        "one of console, otlp, jaeger, in_memory, none",
        &[
            ("console", Some(Exporter::Console)),
            ("otlp", Some(Exporter::Otlp)),
            ("jaeger", None),
            ("in_memory", Some(Exporter::InMemory)),
            ("in-memory", Some(Exporter::InMemory)),
            ("none", Some(Exporter::None)),
        ],
    )?;
    let otel_exporter = vars.choice(
        "OTEL_TRACES_EXPORTER",
        "one of otlp, console, none",
        &[("otlp", Exporter::Otlp), ("console", Exporter::Console), ("none", Exporter::None)],
    )?;
    config.exporter = match tracing_exporter {
        Some(Some(exporter)) => exporter,
        Some(None) => Exporter::Otlp, // jaeger: OTLP to the Jaeger host, below
        None => otel_exporter.unwrap_or(Exporter::DEFAULT),
    };
    let exporter_variable = if tracing_exporter.is_some() { "TRACING_EXPORTER" } else { "OTEL_TRACES_EXPORTER" };
    if let Some(value) = vars.get(exporter_variable) {
        config.exporter.check_compiled(exporter_variable, &value)?;
    }

    config.console_format = vars
        .choice(
            "TRACING_CONSOLE_FORMAT",
            "one of tree, line, json",
            &[("tree", ConsoleFormat::Tree), ("line", ConsoleFormat::Line), ("json", ConsoleFormat::Json)],
        )?
        .unwrap_or_default();

    read_resource(vars, &mut config)?;
    read_otlp(vars, &mut config)?;
    if tracing_exporter == Some(None) {
        read_jaeger(vars, &mut config)?;
    }
    config.sampler = read_sampler(vars)?;
    read_batch(vars, &mut config)?;
    read_limits(vars, &mut config)?;
    config.propagators = read_propagators(vars)?;
    config.log_level = vars.choice("OTEL_LOG_LEVEL", LogLevel::EXPECTED, &LogLevel::NAMES)?;
    Ok(config)
}

fn read_propagators(vars: &Vars<'_>) -> Result<Option<Vec<Propagator>>, ConfigError> {
    let names = [
        ("tracecontext", Some(Propagator::TraceContext)),
        ("baggage", Some(Propagator::Baggage)),
        ("b3", Some(Propagator::B3)),
        ("b3multi", Some(Propagator::B3Multi)),
        ("none", None),
    ];
    let Some(list) = vars.get("OTEL_PROPAGATORS") else { return Ok(None) };
    let invalid = |expected| ConfigError::InvalidValue { variable: "OTEL_PROPAGATORS", value: list.clone(), expected };
    let mut propagators = Vec::new();
    for name in list.split(',').map(str::trim).filter(|name| !name.is_empty()) {
        let Some((_, propagator)) = names.iter().find(|(known, _)| known.eq_ignore_ascii_case(name)) else {
            return Err(invalid("a comma-separated list of tracecontext, baggage, b3, b3multi, none"));
        };
        if let Some(propagator) = propagator {
            propagator.check_compiled("OTEL_PROPAGATORS", &list)?;
        }
        propagators.extend(*propagator);
    }
    Ok(Some(propagators))
}

fn read_resource(vars: &Vars<'_>, config: &mut Config) -> Result<(), ConfigError> {
    let attributes = vars
        .parse(
            "OTEL_RESOURCE_ATTRIBUTES",
            "comma-separated key=value pairs, values percent-encoded",
            key_values::parse,
        )?
        .unwrap_or_default();
    // OTEL_SERVICE_NAME wins over a service.name among the resource attributes.
    let attribute = |key: &str| attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    config.service_name = vars.get("OTEL_SERVICE_NAME").or_else(|| attribute("service.name"));
    config.service_version = attribute("service.version");
    config.resource_attributes =
        attributes.into_iter().filter(|(key, _)| key != "service.name" && key != "service.version").collect();
    Ok(())
}

fn read_otlp(vars: &Vars<'_>, config: &mut Config) -> Result<(), ConfigError> {
    // What TLS needs is asked of this build only when spans go over OTLP.
    let over_otlp = config.exporter == Exporter::Otlp;
    let settings = &mut config.otlp;
    let endpoint = |variable: &'static str, make: fn(String) -> Endpoint| {
        let url = vars.parse(variable, otlp::ENDPOINT_EXPECTED, |value| otlp::is_endpoint_url(value).then_some(()))?;
        match url.and(vars.get(variable)) {
            Some(url) if over_otlp => otlp::check_scheme_compiled(variable, &url).map(|()| Some(make(url))),
            Some(url) => Ok(Some(make(url))),
            None => Ok(None),
        }
    };
    settings.endpoint = match endpoint("TRACING_OTLP_ENDPOINT", Endpoint::Base)? {
        Some(found) => Some(found),
        None => match endpoint("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", Endpoint::Traces)? {
            Some(found) => Some(found),
            None => endpoint("OTEL_EXPORTER_OTLP_ENDPOINT", Endpoint::Base)?,
        },
    };

    let protocols =
        [("grpc", Protocol::Grpc), ("http/protobuf", Protocol::HttpProtobuf), ("http/json", Protocol::HttpJson)];
    let expected = "one of grpc, http/protobuf, http/json";
    settings.protocol = vars
        .choice("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", expected, &protocols)?
        .or(vars.choice("OTEL_EXPORTER_OTLP_PROTOCOL", expected, &protocols)?)
        .unwrap_or_default();

    // Both header lists apply; the traces-specific one wins for a key in both.
    for variable in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] {
        for (key, value) in read_headers(vars, variable)? {
            settings.headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(&key));
            settings.headers.push((key, Secret(value)));
        }
    }

    if let Some(timeout) =
        vars.millis("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT")?.or(vars.millis("OTEL_EXPORTER_OTLP_TIMEOUT")?)
    {
        settings.timeout = timeout;
    }

    let compressions = [("gzip", Compression::Gzip), ("none", Compression::None)];
    settings.compression = vars
        .choice("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip or none", &compressions)?
        .or(vars.choice("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip or none", &compressions)?)
        .unwrap_or_default();

    // Paths, read and checked when tracing is installed.
    let file = |traces: &'static str, general: &'static str| {
        [traces, general]
            .into_iter()
            .find_map(|setting| vars.get(setting).map(|path| PemFile { path: path.into(), setting }))
    };
    let tls = &mut settings.tls;
    tls.ca = file("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "OTEL_EXPORTER_OTLP_CERTIFICATE");
    tls.client_certificate =
        file("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE");
    tls.client_key = file("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "OTEL_EXPORTER_OTLP_CLIENT_KEY");
    if over_otlp {
        tls.check_compiled()?;
    }
    Ok(())
}

/// Header values are secrets: an error shows the list with its values hidden.
fn read_headers(vars: &Vars<'_>, variable: &'static str) -> Result<Vec<(String, String)>, ConfigError> {
    let Some(list) = vars.get(variable) else {
        return Ok(Vec::new());
    };
    key_values::parse(&list).ok_or_else(|| ConfigError::InvalidValue {
        variable,
        value: key_values::redact_values(&list),
        expected: "comma-separated key=value pairs, values percent-encoded",
    })
}

fn read_jaeger(vars: &Vars<'_>, config: &mut Config) -> Result<(), ConfigError> {
    let host = vars.get("TRACING_JAEGER_HOST").unwrap_or_else(|| "localhost".to_owned());
    if !otlp::is_endpoint_url(&format!("http://{host}")) {
        return Err(ConfigError::InvalidValue {
            variable: "TRACING_JAEGER_HOST",
            value: host,
            expected: "a host name or IP address",
        });
    }
    let port = vars.number::<u16>("TRACING_JAEGER_PORT", "a port number: 4317 (OTLP/gRPC) or 4318 (OTLP/HTTP)")?;
    if let Some(port) = port {
        otlp::check_jaeger_port("TRACING_JAEGER_PORT", port)?;
    }
    let port = port.unwrap_or(4317);
    *config = std::mem::take(config).jaeger(&host, port);
    Ok(())
}

fn read_sampler(vars: &Vars<'_>) -> Result<Sampler, ConfigError> {
    let ratio_expected = "a number from 0.0 to 1.0";
    if let Some(rate) = vars.parse("TRACING_SAMPLE_RATE", ratio_expected, sampling::parse_ratio)? {
        return Ok(Sampler::ParentBasedTraceIdRatio(rate));
    }
    let ratio = || {
        Ok::<_, ConfigError>(
            vars.parse("OTEL_TRACES_SAMPLER_ARG", ratio_expected, sampling::parse_ratio)?.unwrap_or(1.0),
        )
    };
    #[derive(Clone, Copy)]
    enum Name {
        AlwaysOn,
        AlwaysOff,
        Ratio,
        ParentBasedOn,
        ParentBasedOff,
        ParentBasedRatio,
    }
    let name = vars.choice(
        "OTEL_TRACES_SAMPLER",
        "one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, \
         parentbased_traceidratio",
        &[
            ("always_on", Name::AlwaysOn),
            ("always_off", Name::AlwaysOff),
            ("traceidratio", Name::Ratio),
            ("parentbased_always_on", Name::ParentBasedOn),
            ("parentbased_always_off", Name::ParentBasedOff),
            ("parentbased_traceidratio", Name::ParentBasedRatio),
        ],
    )?;
    Ok(match name {
        Some(Name::AlwaysOn) => Sampler::AlwaysOn,
        Some(Name::AlwaysOff) => Sampler::AlwaysOff,
        Some(Name::Ratio) => Sampler::TraceIdRatio(ratio()?),
        Some(Name::ParentBasedOff) => Sampler::ParentBasedAlwaysOff,
        Some(Name::ParentBasedRatio) => Sampler::ParentBasedTraceIdRatio(ratio()?),
        Some(Name::ParentBasedOn) | None => Sampler::ParentBasedAlwaysOn,
    })
}

fn read_batch(vars: &Vars<'_>, config: &mut Config) -> Result<(), ConfigError> {
    let batch = &mut config.batch;
    let size = |value: &str| value.parse::<usize>().ok();
    if let Some(delay) = vars.millis("OTEL_BSP_SCHEDULE_DELAY")? {
        batch.schedule_delay = delay;
    }
    if let Some(size) = vars.parse("OTEL_BSP_MAX_QUEUE_SIZE", SIZE_EXPECTED, size)? {
        batch.max_queue_size = size;
    }
    if let Some(size) = vars.parse("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", SIZE_EXPECTED, size)? {
        batch.max_export_batch_size = size;
    }
    if let Some(timeout) = vars.millis("OTEL_BSP_EXPORT_TIMEOUT")? {
        batch.export_timeout = timeout;
    }
    batch.check(&SizeSettings::ENVIRONMENT)
}

fn read_limits(vars: &Vars<'_>, config: &mut Config) -> Result<(), ConfigError> {
    let count = "a whole number";
    if let Some(limit) = vars.number("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", count)? {
        config.limits.attribute_count = limit;
    }
    if let Some(limit) = vars.number("OTEL_SPAN_EVENT_COUNT_LIMIT", count)? {
        config.limits.event_count = limit;
    }
    if let Some(limit) = vars.number("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", count)? {
        config.limits.attribute_value_length = Some(limit);
    }
    Ok(())
}
