//! The fixed permission table (contract §4.11). Ids are stable: entries are only ever appended.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Permission {
    pub id: i64,
    pub app_label: &'static str,
    pub model: &'static str,
    pub codename: &'static str,
    pub name: &'static str,
}

impl Permission {
    /// `app_label.codename`, the code used in permission checks.
    pub fn code(&self) -> String {
        format!("{}.{}", self.app_label, self.codename)
    }
}

pub const MANAGE_AUTH: &str = "accounts.manage_auth";

/// Models that get the usual add/change/delete/view permissions, in id order.
const MODELS: [(&str, &str, &str); 13] = [
    ("accounts", "agent", "agent"),
    ("auth", "group", "group"),
    ("core", "config", "config"),
    ("clientes", "cliente", "cliente"),
    ("clientes", "grupoempresa", "grupo empresa"),
    ("clientes", "contatocliente", "contato cliente"),
    ("clientes", "documentocliente", "documento cliente"),
    ("whatsapp", "whatsappsession", "whatsapp session"),
    ("whatsapp", "whatsappmessage", "whatsapp message"),
    ("atendimento", "departamento", "departamento"),
    ("atendimento", "filaatendimento", "fila atendimento"),
    ("atendimento", "atendimento", "atendimento"),
    ("atendimento", "transferencia", "transferencia"),
];

/// Custom permissions, appended after the model ones.
const CUSTOM: [(&str, &str, &str, &str); 8] = [
    (
        "accounts",
        "agent",
        "manage_auth",
        "Pode gerenciar usuários, grupos e permissões",
    ),
    (
        "core",
        "config",
        "manage_config_company",
        "Pode gerenciar dados da empresa",
    ),
    (
        "core",
        "config",
        "manage_config_chat",
        "Pode gerenciar configurações de chat",
    ),
    (
        "core",
        "config",
        "manage_config_email",
        "Pode gerenciar configurações de email",
    ),
    (
        "core",
        "config",
        "manage_config_appearance",
        "Pode gerenciar aparência",
    ),
    (
        "core",
        "config",
        "manage_config_whatsapp",
        "Pode gerenciar configurações do WhatsApp",
    ),
    (
        "core",
        "config",
        "manage_config_documents",
        "Pode gerenciar modelos de documentos",
    ),
    (
        "atendimento",
        "atendimento",
        "distribuir_fila",
        "Pode distribuir a fila de atendimento",
    ),
];

const ACTIONS: [(&str, &str); 4] = [
    ("add", "Can add"),
    ("change", "Can change"),
    ("delete", "Can delete"),
    ("view", "Can view"),
];

/// Every permission, in id order (ids 1..).
pub fn all() -> &'static [Permission] {
    static TABLE: std::sync::LazyLock<Vec<Permission>> = std::sync::LazyLock::new(build);
    &TABLE
}

fn build() -> Vec<Permission> {
    let mut out = Vec::new();
    for (app, model, verbose) in MODELS {
        for (action, label) in ACTIONS {
            let codename: &'static str = Box::leak(format!("{action}_{model}").into_boxed_str());
            let name: &'static str = Box::leak(format!("{label} {verbose}").into_boxed_str());
            out.push(Permission {
                id: out.len() as i64 + 1,
                app_label: app,
                model,
                codename,
                name,
            });
        }
    }
    for (app, model, codename, name) in CUSTOM {
        out.push(Permission {
            id: out.len() as i64 + 1,
            app_label: app,
            model,
            codename,
            name,
        });
    }
    out
}

/// The table sorted as the API lists it: app_label, model, codename.
pub fn sorted() -> Vec<&'static Permission> {
    let mut v: Vec<_> = all().iter().collect();
    v.sort_by(|a, b| (a.app_label, a.model, a.codename).cmp(&(b.app_label, b.model, b.codename)));
    v
}

pub fn by_id(id: i64) -> Option<&'static Permission> {
    all().iter().find(|p| p.id == id)
}

pub fn by_code(code: &str) -> Option<&'static Permission> {
    all().iter().find(|p| p.code() == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_contract_codes_with_stable_ids() {
        for code in [
            "core.manage_config_company",
            "core.manage_config_chat",
            "core.manage_config_email",
            "core.manage_config_appearance",
            "core.manage_config_whatsapp",
            "core.manage_config_documents",
            "accounts.manage_auth",
            "clientes.add_cliente",
            "accounts.view_agent",
        ] {
            assert!(by_code(code).is_some(), "{code}");
        }
        assert_eq!(all()[0].code(), "accounts.add_agent");
        assert_eq!(all()[0].id, 1);
        assert_eq!(by_code(MANAGE_AUTH).unwrap().id, 53);
        let ids: Vec<i64> = all().iter().map(|p| p.id).collect();
        assert_eq!(ids, (1..=all().len() as i64).collect::<Vec<_>>());
        let s = sorted();
        assert_eq!(s[0].app_label, "accounts");
        assert!(
            s.windows(2)
                .all(|w| (w[0].app_label, w[0].model, w[0].codename)
                    <= (w[1].app_label, w[1].model, w[1].codename))
        );
    }
}
