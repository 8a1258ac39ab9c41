//! The `Documento` entity, its enums (exact wire strings) and derived values.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? } default $def:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(
                #[serde(rename = $wire)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in the contract's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The exact wire string.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            /// Parses the exact wire string.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($wire => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$def
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// `tipo_documento` (default `outro`).
    TipoDocumento {
        Contrato => "contrato",
        Boleto => "boleto",
        Proposta => "proposta",
        Certificado => "certificado",
        Licenca => "licenca",
        Alvara => "alvara",
        Comprovante => "comprovante",
        Outro => "outro",
    } default Outro
);

wire_enum!(
    /// `status` (default `gerado`).
    StatusDocumento {
        Gerado => "gerado",
        Enviado => "enviado",
        Assinado => "assinado",
        Aprovado => "aprovado",
        Rejeitado => "rejeitado",
        Expirado => "expirado",
    } default Gerado
);

wire_enum!(
    /// `origem` (default `manual`).
    OrigemDocumento {
        Manual => "manual",
        Gerado => "gerado",
        Importado => "importado",
    } default Manual
);

/// A stored document, as read back from the repository (with the joined read-only names).
#[derive(Debug, Clone, PartialEq)]
pub struct Documento {
    pub id: i64,
    pub cliente_id: i64,
    /// Razão social of the cliente (read-only, joined).
    pub cliente_nome: Option<String>,
    pub nome: String,
    pub tipo_documento: TipoDocumento,
    pub status: StatusDocumento,
    pub origem: OrigemDocumento,
    /// Path relative to the storage root, e.g. `clientes/documentos/contrato_1_ab12cd34.pdf`.
    pub arquivo: String,
    pub descricao: Option<String>,
    pub template_usado: Option<String>,
    pub dados_preenchidos: Map<String, Value>,
    pub data_vencimento: Option<NaiveDate>,
    pub data_upload: DateTime<Utc>,
    pub usuario_upload_id: Option<i64>,
    /// Username of the uploader (read-only, joined; omitted on the wire when `None`).
    pub usuario_upload_nome: Option<String>,
    pub ativo: bool,
}

impl Documento {
    /// `is_gerado_automaticamente`: origem = gerado.
    pub fn is_gerado_automaticamente(&self) -> bool {
        self.origem == OrigemDocumento::Gerado
    }

    pub fn is_contrato(&self) -> bool {
        self.tipo_documento == TipoDocumento::Contrato
    }

    pub fn is_boleto(&self) -> bool {
        self.tipo_documento == TipoDocumento::Boleto
    }

    /// `is_vencido`: today (São Paulo date, see [`today`]) is after `data_vencimento`.
    pub fn is_vencido(&self, today: NaiveDate) -> bool {
        self.data_vencimento.is_some_and(|d| today > d)
    }
}

/// A document to insert. `data_upload` is set by the caller from the clock.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDocumento {
    pub cliente_id: i64,
    pub nome: String,
    pub tipo_documento: TipoDocumento,
    pub status: StatusDocumento,
    pub origem: OrigemDocumento,
    pub arquivo: String,
    pub descricao: Option<String>,
    pub template_usado: Option<String>,
    pub dados_preenchidos: Map<String, Value>,
    pub data_vencimento: Option<NaiveDate>,
    pub data_upload: DateTime<Utc>,
    pub usuario_upload_id: Option<i64>,
    pub ativo: bool,
}

/// Today's date in `America/Sao_Paulo`.
pub fn today(clock: &dyn kernel::Clock) -> NaiveDate {
    clock.now().with_timezone(&kernel::clock::TZ).date_naive()
}

/// `tamanho_arquivo`: size with one decimal and a base-1024 unit (`"13.0 B"`, `"1.5 KB"`),
/// or `"Arquivo não encontrado"` when the file is missing.
pub fn formatar_tamanho(size: Option<u64>) -> String {
    let Some(bytes) = size else {
        return "Arquivo não encontrado".to_string();
    };
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_strings_round_trip() {
        for t in TipoDocumento::ALL {
            assert_eq!(TipoDocumento::parse(t.as_str()), Some(*t));
            assert_eq!(
                serde_json::to_value(t).unwrap(),
                Value::String(t.to_string())
            );
        }
        assert_eq!(TipoDocumento::default(), TipoDocumento::Outro);
        assert_eq!(StatusDocumento::default().as_str(), "gerado");
        assert_eq!(OrigemDocumento::default().as_str(), "manual");
        assert_eq!(StatusDocumento::ALL.len(), 6);
        assert_eq!(
            OrigemDocumento::parse("importado"),
            Some(OrigemDocumento::Importado)
        );
        assert_eq!(OrigemDocumento::parse("Gerado"), None);
        let s: StatusDocumento = serde_json::from_str("\"assinado\"").unwrap();
        assert_eq!(s, StatusDocumento::Assinado);
    }

    #[test]
    fn tamanho_formatting() {
        assert_eq!(formatar_tamanho(Some(13)), "13.0 B");
        assert_eq!(formatar_tamanho(Some(0)), "0.0 B");
        assert_eq!(formatar_tamanho(Some(1023)), "1023.0 B");
        assert_eq!(formatar_tamanho(Some(1024)), "1.0 KB");
        assert_eq!(formatar_tamanho(Some(1536)), "1.5 KB");
        assert_eq!(formatar_tamanho(Some(5 * 1024 * 1024)), "5.0 MB");
        assert_eq!(formatar_tamanho(Some(3 * 1024u64.pow(3))), "3.0 GB");
        assert_eq!(formatar_tamanho(Some(2048 * 1024u64.pow(4))), "2048.0 TB");
        assert_eq!(formatar_tamanho(None), "Arquivo não encontrado");
    }

    #[test]
    fn derived_flags() {
        let d = crate::test_util::documento(1);
        assert!(d.is_contrato());
        assert!(!d.is_boleto());
        assert!(d.is_gerado_automaticamente());
        let venc = NaiveDate::from_ymd_opt(2025, 1, 10).unwrap();
        let d = Documento {
            data_vencimento: Some(venc),
            ..d
        };
        assert!(!d.is_vencido(venc));
        assert!(d.is_vencido(venc.succ_opt().unwrap()));
        let d = Documento {
            data_vencimento: None,
            ..d
        };
        assert!(!d.is_vencido(venc));
    }
}
