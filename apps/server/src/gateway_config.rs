//! `WHATSAPP_GATEWAY` and the settings of the real gateways (README, "WhatsApp gateways").
//! A missing or unusable setting stops start-up naming the variable; a secret's value is
//! never part of the message.

use crate::config::ConfigError;
use adapter_whatsapp::{EvolutionConfig, GatewayChoice, MetaConfig, Secret};

/// Shortest webhook secret accepted (it is the only thing guarding a public endpoint).
pub const MIN_WEBHOOK_SECRET: usize = 16;

type Get<'a> = &'a dyn Fn(&str) -> Option<String>;

fn fail(var: &'static str, value: impl Into<String>, message: &'static str) -> ConfigError {
    ConfigError {
        var,
        value: value.into(),
        message,
    }
}

fn required(get: Get, var: &'static str, gateway: &'static str) -> Result<String, ConfigError> {
    get(var).ok_or_else(|| fail(var, "", gateway))
}

fn secret(get: Get, var: &'static str, gateway: &'static str) -> Result<Secret, ConfigError> {
    required(get, var, gateway).map(Secret::new)
}

/// An `http(s)://` URL, without its trailing slash.
fn http_url(var: &'static str, value: String) -> Result<String, ConfigError> {
    match url::Url::parse(&value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(value.trim_end_matches('/').to_string())
        }
        _ => Err(fail(var, value, "must be an http:// or https:// URL")),
    }
}

const EVOLUTION: &str = "must be set when WHATSAPP_GATEWAY=evolution";
const META: &str = "must be set when WHATSAPP_GATEWAY=meta";

fn evolution(get: Get) -> Result<EvolutionConfig, ConfigError> {
    let url = http_url("EVOLUTION_URL", required(get, "EVOLUTION_URL", EVOLUTION)?)?;
    let api_key = secret(get, "EVOLUTION_API_KEY", EVOLUTION)?;
    let instance = required(get, "EVOLUTION_INSTANCE", EVOLUTION)?;
    if !instance
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(fail(
            "EVOLUTION_INSTANCE",
            instance,
            "must be letters, digits, '-', '_' or '.' (it is a URL path segment)",
        ));
    }
    let webhook_secret = secret(get, "EVOLUTION_WEBHOOK_SECRET", EVOLUTION)?;
    if webhook_secret.expose().chars().count() < MIN_WEBHOOK_SECRET {
        return Err(fail(
            "EVOLUTION_WEBHOOK_SECRET",
            "<hidden>",
            "must be at least 16 characters",
        ));
    }
    let webhook_url = http_url(
        "EVOLUTION_WEBHOOK_URL",
        required(get, "EVOLUTION_WEBHOOK_URL", EVOLUTION)?,
    )?;
    Ok(EvolutionConfig {
        url,
        api_key,
        instance,
        webhook_secret,
        webhook_url: format!("{webhook_url}/"),
    })
}

fn meta(get: Get) -> Result<MetaConfig, ConfigError> {
    let graph_url = http_url(
        "META_GRAPH_URL",
        get("META_GRAPH_URL").unwrap_or_else(|| MetaConfig::DEFAULT_GRAPH_URL.to_string()),
    )?;
    let api_version =
        get("META_API_VERSION").unwrap_or_else(|| MetaConfig::DEFAULT_API_VERSION.to_string());
    let version_ok = api_version
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        });
    if !version_ok {
        return Err(fail(
            "META_API_VERSION",
            api_version,
            "must look like v26.0",
        ));
    }
    let phone_number_id = required(get, "META_PHONE_NUMBER_ID", META)?;
    if !phone_number_id.bytes().all(|c| c.is_ascii_digit()) {
        return Err(fail(
            "META_PHONE_NUMBER_ID",
            phone_number_id,
            "must be the numeric phone number id",
        ));
    }
    Ok(MetaConfig {
        graph_url,
        api_version,
        phone_number_id,
        access_token: secret(get, "META_ACCESS_TOKEN", META)?,
        app_secret: secret(get, "META_APP_SECRET", META)?,
        verify_token: secret(get, "META_VERIFY_TOKEN", META)?,
    })
}

/// Reads `WHATSAPP_GATEWAY` (default `simulator`) and the chosen gateway's settings through
/// `get` (trimmed values, blank ones unset).
pub fn from_lookup(get: Get) -> Result<GatewayChoice, ConfigError> {
    match get("WHATSAPP_GATEWAY")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("simulator") => Ok(GatewayChoice::Simulator),
        Some("evolution") => evolution(get).map(GatewayChoice::Evolution),
        Some("meta") => meta(get).map(GatewayChoice::Meta),
        Some(other) => Err(fail(
            "WHATSAPP_GATEWAY",
            other,
            "must be simulator, evolution or meta",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> Result<GatewayChoice, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        from_lookup(&|k| map.get(k).cloned())
    }

    const EVO: [(&str, &str); 6] = [
        ("WHATSAPP_GATEWAY", "evolution"),
        ("EVOLUTION_URL", "http://evo.local:8080/"),
        ("EVOLUTION_API_KEY", "global-key"),
        ("EVOLUTION_INSTANCE", "loja-centro"),
        ("EVOLUTION_WEBHOOK_SECRET", "segredo-bem-comprido"),
        (
            "EVOLUTION_WEBHOOK_URL",
            "https://dx.example.com/api/v1/whatsapp/webhook/evolution",
        ),
    ];

    const META_VARS: [(&str, &str); 5] = [
        ("WHATSAPP_GATEWAY", "meta"),
        ("META_PHONE_NUMBER_ID", "106540352242922"),
        ("META_ACCESS_TOKEN", "EAAG-token"),
        ("META_APP_SECRET", "app-secret"),
        ("META_VERIFY_TOKEN", "verify-me"),
    ];

    #[test]
    fn the_simulator_is_the_default() {
        assert_eq!(with(&[]).unwrap(), GatewayChoice::Simulator);
        assert_eq!(
            with(&[("WHATSAPP_GATEWAY", "Simulator")]).unwrap(),
            GatewayChoice::Simulator
        );
    }

    #[test]
    fn evolution_settings_are_read_and_normalized() {
        let GatewayChoice::Evolution(c) = with(&EVO).unwrap() else {
            panic!("evolution");
        };
        assert_eq!(c.url, "http://evo.local:8080");
        assert_eq!(c.instance, "loja-centro");
        assert_eq!(
            c.webhook_url,
            "https://dx.example.com/api/v1/whatsapp/webhook/evolution/"
        );
        assert_eq!(c.webhook_secret.expose(), "segredo-bem-comprido");
    }

    #[test]
    fn meta_settings_have_defaults_for_the_host_and_version() {
        let GatewayChoice::Meta(c) = with(&META_VARS).unwrap() else {
            panic!("meta");
        };
        assert_eq!(c.graph_url, "https://graph.facebook.com");
        assert_eq!(c.api_version, "v26.0");
        let mut vars = META_VARS.to_vec();
        vars.push(("META_GRAPH_URL", "http://127.0.0.1:9999"));
        vars.push(("META_API_VERSION", "v23.0"));
        let GatewayChoice::Meta(c) = with(&vars).unwrap() else {
            panic!("meta");
        };
        assert_eq!(
            (c.graph_url.as_str(), c.api_version.as_str()),
            ("http://127.0.0.1:9999", "v23.0")
        );
    }

    fn error_for(
        base: &[(&'static str, &'static str)],
        var: &'static str,
        value: Option<&'static str>,
    ) -> ConfigError {
        let mut vars: Vec<(&str, &str)> = base.iter().copied().filter(|(k, _)| *k != var).collect();
        if let Some(v) = value {
            vars.push((var, v));
        }
        with(&vars).expect_err(var)
    }

    #[test]
    fn a_missing_or_bad_setting_names_its_variable_and_never_shows_a_secret() {
        assert_eq!(
            with(&[("WHATSAPP_GATEWAY", "twilio")]).unwrap_err().var,
            "WHATSAPP_GATEWAY"
        );
        for var in EVO
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| *k != "WHATSAPP_GATEWAY")
        {
            let e = error_for(&EVO, var, None);
            assert_eq!(e.var, var);
            assert!(e.to_string().starts_with(var), "{e}");
        }
        for var in META_VARS
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| *k != "WHATSAPP_GATEWAY")
        {
            assert_eq!(error_for(&META_VARS, var, None).var, var);
        }
        for (var, bad) in [
            ("EVOLUTION_URL", "evo.local"),
            ("EVOLUTION_URL", "ftp://evo.local"),
            ("EVOLUTION_INSTANCE", "loja/centro"),
            ("EVOLUTION_WEBHOOK_URL", "not a url"),
        ] {
            assert_eq!(error_for(&EVO, var, Some(bad)).var, var);
        }
        let short = error_for(&EVO, "EVOLUTION_WEBHOOK_SECRET", Some("curto-demais"));
        assert_eq!(short.var, "EVOLUTION_WEBHOOK_SECRET");
        assert!(!short.to_string().contains("curto-demais"), "{short}");
        for (var, bad) in [
            ("META_API_VERSION", "26"),
            ("META_API_VERSION", "v26"),
            ("META_PHONE_NUMBER_ID", "10654x"),
            ("META_GRAPH_URL", "graph.facebook.com"),
        ] {
            assert_eq!(error_for(&META_VARS, var, Some(bad)).var, var);
        }
    }
}
