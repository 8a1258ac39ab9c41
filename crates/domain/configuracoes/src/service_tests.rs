use super::*;
use crate::model::{AppearanceFile, Section};
use crate::ports::{MockConfigRepository, MockSecretCipher};
use crate::sections::{HorarioFuncionamento, NewEndereco};
use crate::test_support::*;
use crate::values::{CepDigits, CnpjText, RegimeTributario, Uf};
use kernel::values::Email;
use kernel::{DomainError, messages as m};
use serde_json::json;

fn text(s: &str) -> Option<String> {
    Some(s.to_string())
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("an address")
}

fn valid_company() -> CompanyPatch {
    CompanyPatch {
        razao_social: text("DX Serviços LTDA"),
        nome_fantasia: text("DX"),
        cnpj: Some(CnpjText::parse("11.222.333/0001-81").expect("cnpj")),
        inscricao_estadual: text("123"),
        regime_tributario: Some(RegimeTributario::parse("2").expect("regime")),
        telefone: text("1133334444"),
        email: Some(email("contato@dx.com.br")),
        ..Default::default()
    }
}

fn endereco(cep: &str, logradouro: &str) -> NewEndereco {
    NewEndereco {
        cep: Some(CepDigits::parse(cep).expect("cep")),
        logradouro: text(logradouro),
        ..Default::default()
    }
}

fn secret(s: &str) -> Option<PlainSecret> {
    Some(PlainSecret::new(s))
}

fn json_of(m: Map<String, Value>) -> Value {
    Value::Object(m)
}

#[test]
fn lazy_defaults_are_created_once() {
    let state = empty();
    let mut repo = MockConfigRepository::new();
    let mut loads = 0;
    repo.expect_load().times(2).returning(move || {
        loads += 1;
        if loads == 1 {
            Ok(None)
        } else {
            Ok(Some(StoredConfig::with_defaults(t0())))
        }
    });
    let st = state.clone();
    repo.expect_update().times(1).returning(move |apply| {
        let new = apply(None)?;
        *st.lock().expect("lock") = Some(new.clone());
        Ok(new)
    });
    let svc = ConfigService::new(Arc::new(repo), Arc::new(cipher()), Arc::new(clock(t0())));
    let company = block_on(svc.company()).expect("get");
    assert_eq!(company.to_json(), crate::model::default_company_data());
    assert_eq!(stored(&state), StoredConfig::with_defaults(t0()));
    let chat = block_on(svc.chat_settings()).expect("get again");
    assert_eq!(chat.timeout_inatividade_minutos, Some(15));
}

#[test]
fn get_all_shape_and_secret_omitted() {
    let state = seeded();
    state
        .lock()
        .expect("lock")
        .as_mut()
        .expect("row")
        .email_settings
        .insert("smtp_senha".into(), json!("enc:x"));
    let svc = service(&state, 0);
    let all = block_on(svc.get_all()).expect("get_all").to_json();
    let keys: Vec<&str> = all
        .as_object()
        .expect("obj")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        6,
        "id, company_data, chat_settings, email_settings, created_at, updated_at: {keys:?}"
    );
    assert!(all.get("appearance").is_none() && all.get("whatsapp").is_none());
    assert!(all["email_settings"].get("smtp_senha").is_none());
    assert_eq!(all["email_settings"]["smtp_port"], json!(587));
    assert_eq!(all["created_at"], json!("2025-10-12T10:00:00.000000-03:00"));
    let email = block_on(svc.email_settings()).expect("email");
    assert_eq!(
        json_of(email.to_json()),
        json!({"smtp_host": "", "smtp_port": 587, "smtp_usuario": "", "smtp_ssl": true, "email_from": ""})
    );
}

#[test]
fn patch_merged_errors_use_dotted_keys_and_roll_back() {
    let state = seeded();
    let svc = service(&state, 2);
    let r = block_on(svc.patch_company(CompanyPatch {
        razao_social: text("Nova"),
        ..Default::default()
    }));
    assert_eq!(
        errors(r),
        json!({"company_data.cnpj": ["CNPJ inválido"], "company_data.email": [m::EMAIL]})
    );
    assert_eq!(stored(&state), StoredConfig::with_defaults(t0()));

    let mut body = valid_company();
    body.endereco = Some(endereco("01310100", "Av. Paulista"));
    assert_eq!(
        errors(block_on(svc.patch_company(body))),
        json!({
            "company_data.endereco.numero": [m::REQUIRED],
            "company_data.endereco.bairro": [m::REQUIRED],
            "company_data.endereco.cidade": [m::REQUIRED],
            "company_data.endereco.uf": [m::REQUIRED]
        })
    );
    assert_eq!(stored(&state), StoredConfig::with_defaults(t0()));
}

#[test]
fn patch_company_merges_shallowly_and_replaces_endereco_whole() {
    let state = seeded();
    state
        .lock()
        .expect("lock")
        .as_mut()
        .expect("row")
        .company_data
        .insert("campo_legado".into(), json!("fica"));
    let svc = service(&state, 2);
    let out = block_on(svc.patch_company(valid_company())).expect("patch");
    let out = json_of(out.to_json());
    assert_eq!(out["cnpj"], json!("11.222.333/0001-81"), "stored as sent");
    assert_eq!(
        out["regime_tributario"],
        json!("2"),
        "choice stored as text"
    );
    assert_eq!(out["campo_legado"], json!("fica"));
    assert_eq!(
        out["endereco"]["cep"],
        json!("01234567"),
        "untouched nested default"
    );

    let endereco = json!({"cep": "01310100", "logradouro": "Av. Paulista", "numero": "1000",
                          "bairro": "Bela Vista", "cidade": "São Paulo", "uf": "sp"});
    let patch = CompanyPatch {
        endereco: Some(NewEndereco {
            numero: text("1000"),
            bairro: text("Bela Vista"),
            cidade: text("São Paulo"),
            uf: Some(Uf::parse("sp").expect("uf")),
            ..self::endereco("01310100", "Av. Paulista")
        }),
        ..Default::default()
    };
    let out = json_of(
        block_on(svc.patch_company(patch))
            .expect("patch endereco")
            .to_json(),
    );
    assert_eq!(
        out["endereco"], endereco,
        "replaced whole: no complemento left"
    );
    let row = stored(&state);
    assert_eq!(row.company_data["razao_social"], json!("DX Serviços LTDA"));
    assert_eq!(row.updated_at, t1());
    assert_eq!(row.created_at, t0());

    let summary = block_on(svc.company_summary())
        .expect("summary")
        .expect("configured");
    assert_eq!(summary.razao_social, "DX Serviços LTDA");
    assert_eq!(summary.cnpj, "11.222.333/0001-81");
    assert_eq!(summary.endereco, "Av. Paulista, 1000 - Bela Vista");
}

#[test]
fn company_summary_is_none_until_configured() {
    let state = seeded();
    let svc = service(&state, 0);
    assert_eq!(block_on(svc.company_summary()).expect("summary"), None);
    assert!(
        block_on(svc.document_templates())
            .expect("templates")
            .is_empty()
    );
}

#[test]
fn patch_chat_merges_and_replaces_the_hours_whole() {
    let state = seeded();
    let svc = service(&state, 3);
    let sabado = json!({"sabado": {"inicio": "09:00", "fim": "12:00"}});
    let out = block_on(svc.patch_chat(ChatPatch {
        limite_chats_simultaneos: Some(8),
        horario_funcionamento: Some(HorarioFuncionamento::from_stored(
            sabado.as_object().expect("obj"),
        )),
        ..Default::default()
    }))
    .expect("patch");
    let out = json_of(out.to_json());
    assert_eq!(out["limite_chats_simultaneos"], json!(8));
    assert_eq!(out["horario_funcionamento"], sabado);
    assert_eq!(out["mensagem_saudacao"], json!("Olá! Como podemos ajudar?"));
    assert_eq!(
        errors(block_on(svc.patch_chat(ChatPatch {
            timeout_inatividade_minutos: Some(0),
            ..Default::default()
        }))),
        json!({"chat_settings.timeout_inatividade_minutos": [m::min_value(1)]})
    );
    let out = block_on(svc.patch_chat(ChatPatch {
        timeout_inatividade_minutos: Some(30),
        ..Default::default()
    }))
    .expect("patch");
    assert_eq!(out.timeout_inatividade_minutos, Some(30));
}

#[test]
fn email_password_is_encrypted_masked_and_readable_server_side() {
    let state = seeded();
    let svc = service(&state, 3);
    let out = block_on(svc.patch_email(EmailPatch {
        smtp_senha: secret("s3gredo"),
        email_from: Some(Some(email("no-reply@dx.com.br"))),
        smtp_port: Some(465),
        ..Default::default()
    }))
    .expect("patch");
    let out = json_of(out.to_json());
    assert_eq!(out["smtp_senha"], json!("***"));
    assert_eq!(out["smtp_port"], json!(465));
    assert_eq!(
        stored(&state).email_settings["smtp_senha"],
        json!("enc:s3gredo")
    );
    assert!(
        block_on(svc.email_settings())
            .expect("get")
            .to_json()
            .get("smtp_senha")
            .is_none()
    );
    assert_eq!(block_on(svc.smtp_password()).expect("plain"), "s3gredo");
    let account = block_on(svc.email_settings_decrypted()).expect("decrypted");
    assert_eq!(account.senha, "s3gredo");
    assert_eq!((account.port, account.ssl), (465, true));
    assert!(!format!("{account:?}").contains("s3gredo"));

    // The mask echoed back keeps the password; "" clears it.
    block_on(svc.patch_email(EmailPatch {
        smtp_senha: secret("***"),
        smtp_ssl: Some(false),
        ..Default::default()
    }))
    .expect("keep");
    assert_eq!(
        stored(&state).email_settings["smtp_senha"],
        json!("enc:s3gredo")
    );
    let out = block_on(svc.patch_email(EmailPatch {
        smtp_senha: secret(""),
        ..Default::default()
    }))
    .expect("clear");
    assert_eq!(json_of(out.to_json())["smtp_senha"], json!(""));
    assert_eq!(block_on(svc.smtp_password()).expect("plain"), "");
}

/// A fresh install's `email_from` is blank, and blank is valid: PATCHing other keys works.
#[test]
fn email_patch_keeps_a_blank_email_from() {
    let state = seeded();
    let svc = service(&state, 4);
    let out = block_on(svc.patch_email(EmailPatch {
        smtp_host: text("smtp.x.com"),
        ..Default::default()
    }))
    .expect("smtp_host alone");
    assert_eq!(out.smtp_host.as_deref(), Some("smtp.x.com"));
    assert_eq!(out.email_from.as_deref(), Some(""));
    block_on(svc.patch_email(EmailPatch {
        smtp_port: Some(465),
        smtp_senha: secret("s3gredo"),
        ..Default::default()
    }))
    .expect("smtp_port and smtp_senha");
    assert_eq!(stored(&state).email_settings["smtp_port"], json!(465));
    let set = |from: Option<Email>| EmailPatch {
        email_from: Some(from),
        ..Default::default()
    };
    block_on(svc.patch_email(set(Some(email("a@b.com"))))).expect("set");
    block_on(svc.patch_email(set(None))).expect("unset");
    assert_eq!(stored(&state).email_settings["email_from"], json!(""));
}

#[test]
fn whatsapp_secrets_masked_and_encrypted() {
    let state = seeded();
    let svc = service(&state, 1);
    let get = json_of(block_on(svc.whatsapp()).expect("get").to_json());
    assert_eq!(get["session_data"], json!(""));
    assert_eq!(get["proxy_url"], json!(""));
    let out = block_on(svc.patch_whatsapp(WhatsappPatch {
        session_data: secret("{\"k\":1}"),
        proxy_url: secret("http://u:p@proxy:3128"),
        enabled: Some(true),
        ..Default::default()
    }))
    .expect("patch");
    let out = json_of(out.to_json());
    assert_eq!(out["session_data"], json!("***"));
    assert_eq!(out["proxy_url"], json!("***"));
    assert_eq!(out["enabled"], json!(true));
    let row = stored(&state);
    assert_eq!(
        row.whatsapp["proxy_url"],
        json!("enc:http://u:p@proxy:3128")
    );
    let get = json_of(block_on(svc.whatsapp()).expect("get").to_json());
    assert_eq!(get["session_data"], json!("***"));
    let plain = block_on(svc.whatsapp_settings_decrypted()).expect("decrypted");
    assert_eq!(plain.session_data, "{\"k\":1}");
    assert_eq!(plain.proxy_url, "http://u:p@proxy:3128");
    assert!(!format!("{plain:?}").contains("proxy:3128"));
}

#[test]
fn whatsapp_secrets_missing_from_the_row_read_as_blank() {
    let state = seeded();
    state
        .lock()
        .expect("lock")
        .as_mut()
        .expect("row")
        .whatsapp
        .remove("proxy_url");
    let svc = service(&state, 0);
    let get = json_of(block_on(svc.whatsapp()).expect("get").to_json());
    assert_eq!(get["proxy_url"], json!(""));
}

#[test]
fn encryption_failure_aborts_the_patch() {
    let state = seeded();
    let mut c = MockSecretCipher::new();
    c.expect_encrypt()
        .returning(|_| Err(DomainError::internal("no key")));
    let svc = ConfigService::new(
        Arc::new(repo(&state, 0)),
        Arc::new(c),
        Arc::new(clock(t1())),
    );
    let r = block_on(svc.patch_whatsapp(WhatsappPatch {
        proxy_url: secret("x"),
        ..Default::default()
    }));
    assert!(matches!(r, Err(DomainError::Internal(_))));
}

#[test]
fn put_validates_every_section_fully() {
    let state = seeded();
    let svc = service(&state, 2);
    let r = block_on(svc.put_all(ConfigPut {
        company_data: valid_company(),
        chat_settings: ChatPatch {
            mensagem_saudacao: text("Oi"),
            ..Default::default()
        },
        email_settings: EmailPatch {
            email_from: Some(Some(email("a@b.com"))),
            ..Default::default()
        },
    }));
    let e = errors(r);
    assert_eq!(e["company_data.endereco"], json!([m::REQUIRED]));
    assert_eq!(
        e["chat_settings.limite_chats_simultaneos"],
        json!([m::REQUIRED])
    );
    assert_eq!(e["email_settings.smtp_port"], json!([m::REQUIRED]));
    assert_eq!(stored(&state), StoredConfig::with_defaults(t0()));
}

/// A PUT's chat section with every default key, `limite_chats_simultaneos` set to 2.
fn default_chat_patch() -> ChatPatch {
    let d = ChatSettings::from_stored(&crate::model::default_chat_settings());
    ChatPatch {
        mensagem_saudacao: d.mensagem_saudacao,
        mensagem_fora_expediente: d.mensagem_fora_expediente,
        mensagem_encerramento: d.mensagem_encerramento,
        mensagem_inatividade: d.mensagem_inatividade,
        timeout_inatividade_minutos: d.timeout_inatividade_minutos,
        limite_chats_simultaneos: Some(2),
        horario_funcionamento: d.horario_funcionamento,
    }
}

#[test]
fn put_replaces_sections_and_keeps_the_password() {
    let state = seeded();
    {
        let mut guard = state.lock().expect("lock");
        let row = guard.as_mut().expect("row");
        row.email_settings
            .insert("smtp_senha".into(), json!("enc:antiga"));
        row.company_data
            .insert("campo_legado".into(), json!("some"));
    }
    let svc = service(&state, 1);
    let mut company = valid_company();
    company.endereco = Some(NewEndereco {
        numero: text("1"),
        bairro: text("Bela Vista"),
        cidade: text("São Paulo"),
        uf: Some(Uf::parse("SP").expect("uf")),
        ..endereco("01310100", "Av. Paulista")
    });
    let email_patch = EmailPatch {
        smtp_host: text("smtp.dx.com"),
        smtp_port: Some(25),
        smtp_usuario: text("u"),
        smtp_senha: secret("***"),
        smtp_ssl: Some(false),
        email_from: Some(Some(email("a@b.com"))),
    };
    let email = json!({"smtp_host": "smtp.dx.com", "smtp_port": 25, "smtp_usuario": "u",
                       "smtp_ssl": false, "email_from": "a@b.com"});
    let out = block_on(svc.put_all(ConfigPut {
        company_data: company,
        chat_settings: default_chat_patch(),
        email_settings: email_patch,
    }))
    .expect("put");
    assert_eq!(json_of(out.email_settings.to_json()), email);
    assert_eq!(out.chat_settings.limite_chats_simultaneos, Some(2));
    assert_eq!(out.updated_at, t1());
    assert_eq!(
        stored(&state).email_settings["smtp_senha"],
        json!("enc:antiga")
    );
    assert!(out.to_json()["email_settings"].get("smtp_senha").is_none());
    assert_eq!(
        stored(&state).company_data["endereco"]["bairro"],
        json!("Bela Vista")
    );
    assert!(
        !stored(&state).company_data.contains_key("campo_legado"),
        "a PUT replaces the section whole"
    );
}

#[test]
fn sections_permissions_and_kinds() {
    let perms: Vec<&str> = Section::ALL.iter().map(Section::permission).collect();
    assert_eq!(
        perms,
        [
            "core.manage_config_company",
            "core.manage_config_chat",
            "core.manage_config_email",
            "core.manage_config_appearance",
            "core.manage_config_whatsapp"
        ]
    );
    assert_eq!(Section::from_path("whatsapp"), Some(Section::Whatsapp));
    assert_eq!(Section::from_path("documents"), None);
    assert_eq!(Section::Company.key(), "company_data");
    assert_eq!(
        AppearanceFile::parse("favicon").map(|k| k.url_key()),
        Some("favicon_url")
    );
    assert_eq!(AppearanceFile::parse("banner"), None);
}

#[test]
fn server_side_settings_fill_missing_keys_with_the_defaults() {
    let state = seeded();
    {
        let mut guard = state.lock().expect("lock");
        let row = guard.as_mut().expect("row");
        row.email_settings.clear();
        row.whatsapp.clear();
    }
    let svc = service(&state, 0);
    let smtp = block_on(svc.email_settings_decrypted()).expect("smtp");
    assert_eq!((smtp.port, smtp.ssl, smtp.senha.as_str()), (587, true, ""));
    let w = block_on(svc.whatsapp_settings_decrypted()).expect("whatsapp");
    assert_eq!(
        (
            w.device_name.as_str(),
            w.stealth_mode,
            w.reconnect_backoff_seconds
        ),
        ("DXConnect", true, 5)
    );
}
