use super::*;
use crate::ports::{MockConfigRepository, MockSecretCipher};
use chrono::TimeZone;
use kernel::clock::MockClock;
use serde_json::json;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Wake, Waker};

/// Runs a future whose awaits (mock ports) complete immediately.
fn block_on<F: Future>(fut: F) -> F::Output {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

type Shared = Arc<Mutex<Option<StoredConfig>>>;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 12, 13, 0, 0)
        .single()
        .expect("date")
}

fn t1() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 12, 14, 0, 0)
        .single()
        .expect("date")
}

/// A repository mock backed by `state`; `update` may be called at most `max_updates` times.
fn repo(state: &Shared, max_updates: usize) -> MockConfigRepository {
    let mut repo = MockConfigRepository::new();
    let st = state.clone();
    repo.expect_load()
        .returning(move || Ok(st.lock().expect("lock").clone()));
    let st = state.clone();
    repo.expect_update()
        .times(0..=max_updates)
        .returning(move |apply| {
            let cur = st.lock().expect("lock").clone();
            let new = apply(cur)?;
            *st.lock().expect("lock") = Some(new.clone());
            Ok(new)
        });
    repo
}

fn cipher() -> MockSecretCipher {
    let mut c = MockSecretCipher::new();
    c.expect_encrypt().returning(|p| Ok(format!("enc:{p}")));
    c.expect_decrypt().returning(|s| {
        s.strip_prefix("enc:")
            .map(str::to_string)
            .ok_or_else(|| DomainError::internal("bad"))
    });
    c
}

fn clock(now: DateTime<Utc>) -> MockClock {
    let mut c = MockClock::new();
    c.expect_now().return_const(now);
    c
}

fn service_with(state: &Shared, max_updates: usize, now: DateTime<Utc>) -> ConfigService {
    ConfigService::new(
        Arc::new(repo(state, max_updates)),
        Arc::new(cipher()),
        Arc::new(clock(now)),
    )
}

fn service(state: &Shared, max_updates: usize) -> ConfigService {
    service_with(state, max_updates, t1())
}

fn empty() -> Shared {
    Arc::new(Mutex::new(None))
}

fn seeded() -> Shared {
    Arc::new(Mutex::new(Some(StoredConfig::with_defaults(t0()))))
}

fn stored(state: &Shared) -> StoredConfig {
    state.lock().expect("lock").clone().expect("stored row")
}

fn errors(r: Result<impl std::fmt::Debug>) -> Value {
    match r {
        Err(DomainError::Validation(e)) => e.into_json(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn valid_company() -> Value {
    json!({"razao_social": "DX Serviços LTDA", "nome_fantasia": "DX", "cnpj": "11.222.333/0001-81",
           "inscricao_estadual": "123", "regime_tributario": 2, "telefone": "1133334444", "email": "contato@dx.com.br"})
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
    let company = block_on(svc.get_section(Section::Company)).expect("get");
    assert_eq!(company, crate::model::default_company_data());
    assert_eq!(stored(&state), StoredConfig::with_defaults(t0()));
    let chat = block_on(svc.get_section(Section::Chat)).expect("get again");
    assert_eq!(chat["timeout_inatividade_minutos"], json!(15));
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
    let email = block_on(svc.get_section(Section::Email)).expect("email");
    assert_eq!(
        Value::Object(email),
        json!({"smtp_host": "", "smtp_port": 587, "smtp_usuario": "", "smtp_ssl": true, "email_from": ""})
    );
}

#[test]
fn patch_needs_an_object() {
    let state = seeded();
    let svc = service(&state, 0);
    assert_eq!(
        errors(block_on(svc.patch_section(Section::Chat, json!([1])))),
        json!({"non_field_errors": ["Dados inválidos. Esperado um dicionário, mas recebido list."]})
    );
    assert_eq!(
        errors(block_on(svc.put_all(json!("x")))),
        json!({"non_field_errors": ["Dados inválidos. Esperado um dicionário, mas recebido str."]})
    );
}

#[test]
fn patch_sent_key_errors_do_not_touch_storage() {
    let state = seeded();
    let svc = service(&state, 0);
    let r = block_on(svc.patch_section(
        Section::Company,
        json!({"cnpj": "123", "endereco": {"cep": "1234-567"}}),
    ));
    assert_eq!(
        errors(r),
        json!({"cnpj": ["CNPJ inválido"], "endereco": {"cep": [m::PATTERN]}})
    );
    assert_eq!(stored(&state), StoredConfig::with_defaults(t0()));
}

#[test]
fn patch_merged_errors_use_dotted_keys_and_roll_back() {
    let state = seeded();
    let svc = service(&state, 2);
    let r = block_on(svc.patch_section(Section::Company, json!({"razao_social": "Nova"})));
    assert_eq!(
        errors(r),
        json!({"company_data.cnpj": ["CNPJ inválido"], "company_data.email": [m::EMAIL]})
    );
    assert_eq!(stored(&state), StoredConfig::with_defaults(t0()));

    let mut body = valid_company();
    body["endereco"] = json!({"cep": "01310100", "logradouro": "Av. Paulista"});
    assert_eq!(
        errors(block_on(svc.patch_section(Section::Company, body))),
        json!({
            "company_data.endereco.numero": [m::REQUIRED],
            "company_data.endereco.bairro": [m::REQUIRED],
            "company_data.endereco.cidade": [m::REQUIRED],
            "company_data.endereco.uf": [m::REQUIRED]
        })
    );
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
    let out = block_on(svc.patch_section(Section::Company, valid_company())).expect("patch");
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
    let out = block_on(svc.patch_section(Section::Company, json!({ "endereco": endereco })))
        .expect("patch endereco");
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
fn patch_chat_and_form_integers() {
    let state = seeded();
    let svc = service(&state, 2);
    let out = block_on(svc.patch_section(
        Section::Chat,
        json!({"limite_chats_simultaneos": 8, "horario_funcionamento": {"sabado": {"inicio": "09:00", "fim": "12:00"}}}),
    ))
    .expect("patch");
    assert_eq!(out["limite_chats_simultaneos"], json!(8));
    assert_eq!(
        out["horario_funcionamento"],
        json!({"sabado": {"inicio": "09:00", "fim": "12:00"}})
    );
    assert_eq!(out["mensagem_saudacao"], json!("Olá! Como podemos ajudar?"));
    assert_eq!(
        errors(block_on(svc.patch_section(
            Section::Chat,
            json!({"timeout_inatividade_minutos": "30"})
        ))),
        json!({"timeout_inatividade_minutos": [m::INTEGER]})
    );
    let out = block_on(svc.patch_section_with(
        Section::Chat,
        json!({"timeout_inatividade_minutos": "30"}),
        BodyFormat::Form,
    ))
    .expect("form patch");
    assert_eq!(out["timeout_inatividade_minutos"], json!(30));
}

#[test]
fn email_password_is_encrypted_masked_and_readable_server_side() {
    let state = seeded();
    let svc = service(&state, 3);
    let out = block_on(svc.patch_section(
        Section::Email,
        json!({"smtp_senha": "s3gredo", "email_from": "no-reply@dx.com.br", "smtp_port": 465}),
    ))
    .expect("patch");
    assert_eq!(out["smtp_senha"], json!("***"));
    assert_eq!(out["smtp_port"], json!(465));
    assert_eq!(
        stored(&state).email_settings["smtp_senha"],
        json!("enc:s3gredo")
    );
    assert!(
        block_on(svc.get_section(Section::Email))
            .expect("get")
            .get("smtp_senha")
            .is_none()
    );
    assert_eq!(block_on(svc.smtp_password()).expect("plain"), "s3gredo");
    assert_eq!(
        block_on(svc.email_settings_decrypted()).expect("decrypted")["smtp_senha"],
        json!("s3gredo")
    );

    // The mask echoed back keeps the password; "" clears it.
    block_on(svc.patch_section(
        Section::Email,
        json!({"smtp_senha": "***", "smtp_ssl": false}),
    ))
    .expect("keep");
    assert_eq!(
        stored(&state).email_settings["smtp_senha"],
        json!("enc:s3gredo")
    );
    let out =
        block_on(svc.patch_section(Section::Email, json!({"smtp_senha": ""}))).expect("clear");
    assert_eq!(out["smtp_senha"], json!(""));
    assert_eq!(block_on(svc.smtp_password()).expect("plain"), "");
}

/// A fresh install's `email_from` is blank, and blank is valid: PATCHing other keys works.
/// A non-blank `email_from` must still be an address.
#[test]
fn email_patch_keeps_a_blank_email_from() {
    let state = seeded();
    let svc = service(&state, 4);
    let out = block_on(svc.patch_section(Section::Email, json!({"smtp_host": "smtp.x.com"})))
        .expect("smtp_host alone");
    assert_eq!(out["smtp_host"], json!("smtp.x.com"));
    assert_eq!(out["email_from"], json!(""));
    block_on(svc.patch_section(
        Section::Email,
        json!({"smtp_port": 465, "smtp_senha": "s3gredo"}),
    ))
    .expect("smtp_port and smtp_senha");
    assert_eq!(stored(&state).email_settings["smtp_port"], json!(465));
    assert_eq!(
        errors(block_on(
            svc.patch_section(Section::Email, json!({"email_from": "nope"}))
        )),
        json!({"email_from": [m::EMAIL]})
    );
    block_on(svc.patch_section(Section::Email, json!({"email_from": "a@b.com"}))).expect("set");
    block_on(svc.patch_section(Section::Email, json!({"email_from": ""}))).expect("unset");
    assert_eq!(stored(&state).email_settings["email_from"], json!(""));
}

#[test]
fn whatsapp_secrets_masked_and_encrypted() {
    let state = seeded();
    let svc = service(&state, 1);
    let get = block_on(svc.get_section(Section::Whatsapp)).expect("get");
    assert_eq!(get["session_data"], json!(""));
    assert_eq!(get["proxy_url"], json!(""));
    let out = block_on(svc.patch_section(
        Section::Whatsapp,
        json!({"session_data": "{\"k\":1}", "proxy_url": "http://u:p@proxy:3128", "enabled": true}),
    ))
    .expect("patch");
    assert_eq!(out["session_data"], json!("***"));
    assert_eq!(out["proxy_url"], json!("***"));
    assert_eq!(out["enabled"], json!(true));
    let row = stored(&state);
    assert_eq!(
        row.whatsapp["proxy_url"],
        json!("enc:http://u:p@proxy:3128")
    );
    let get = block_on(svc.get_section(Section::Whatsapp)).expect("get");
    assert_eq!(get["session_data"], json!("***"));
    let plain = block_on(svc.whatsapp_settings_decrypted()).expect("decrypted");
    assert_eq!(plain["session_data"], json!("{\"k\":1}"));
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
    let r = block_on(svc.patch_section(Section::Whatsapp, json!({"proxy_url": "x"})));
    assert!(matches!(r, Err(DomainError::Internal(_))));
}

#[test]
fn appearance_patch_and_files() {
    use kernel::storage::MockFileStorage;
    use mockall::Sequence;
    let state = seeded();
    let mut storage = MockFileStorage::new();
    let mut order = Sequence::new();
    let saved = |name: &str| name.len() == 32 + 4 && name.ends_with(".png");
    storage
        .expect_save()
        .withf(move |dir, name, data| dir == "appearance" && saved(name) && data == PNG_A)
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _, _| Ok("appearance/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png".into()));
    storage
        .expect_save()
        .withf(move |dir, name, data| dir == "appearance" && saved(name) && data == PNG_B)
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _, _| Ok("appearance/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.png".into()));
    // The replaced file goes once the new URL is recorded; clearing removes the last one.
    storage
        .expect_delete()
        .with(mockall::predicate::eq(
            "appearance/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png",
        ))
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(()));
    storage
        .expect_delete()
        .with(mockall::predicate::eq(
            "appearance/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.png",
        ))
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(()));
    let svc = service(&state, 4).with_storage(Arc::new(storage));
    let out = block_on(svc.patch_section(Section::Appearance, json!({"primary_color": "red"})))
        .expect("patch");
    assert_eq!(out["primary_color"], json!("red"));
    let url = block_on(svc.upload_appearance_file(AppearanceFile::Logo, "Logo.gif", PNG_A))
        .expect("upload");
    assert_eq!(
        url,
        "/media/appearance/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png"
    );
    assert_eq!(
        stored(&state).appearance["login_logo_url"],
        json!("/media/appearance/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png")
    );
    let url = block_on(svc.upload_appearance_file(AppearanceFile::Logo, "novo.png", PNG_B))
        .expect("upload again");
    assert_eq!(
        url,
        "/media/appearance/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.png"
    );
    block_on(svc.remove_appearance_file(AppearanceFile::Logo)).expect("clear");
    assert_eq!(stored(&state).appearance["login_logo_url"], json!(""));
    assert_eq!(stored(&state).appearance["favicon_url"], json!(""));
}

#[test]
fn an_upload_that_cannot_be_recorded_leaves_no_file() {
    use kernel::storage::MockFileStorage;
    let state = seeded();
    let mut storage = MockFileStorage::new();
    storage
        .expect_save()
        .returning(|_, _, _| Ok("appearance/x.png".into()));
    storage
        .expect_delete()
        .with(mockall::predicate::eq("appearance/x.png"))
        .times(1)
        .returning(|_| Ok(()));
    // The repository fails the write.
    let mut repo = MockConfigRepository::new();
    let st = state.clone();
    repo.expect_load()
        .returning(move || Ok(st.lock().expect("lock").clone()));
    repo.expect_update()
        .times(1)
        .returning(|_| Err(DomainError::internal("database down")));
    let svc = ConfigService::new(Arc::new(repo), Arc::new(cipher()), Arc::new(clock(t1())))
        .with_storage(Arc::new(storage));
    assert!(block_on(svc.upload_appearance_file(AppearanceFile::Favicon, "f.ico", ICO)).is_err());
}

const PNG_A: &[u8] = b"\x89PNG\r\n\x1a\na";
const PNG_B: &[u8] = b"\x89PNG\r\n\x1a\nb";
const ICO: &[u8] = &[0, 0, 1, 0, 1, 0, 16, 16];

#[test]
fn only_images_are_stored_as_appearance_files() {
    use kernel::storage::MockFileStorage;
    let state = seeded();
    let mut storage = MockFileStorage::new();
    storage.expect_save().times(0);
    let svc = service(&state, 0).with_storage(Arc::new(storage));
    for data in [
        &b"<html><script>alert(1)</script></html>"[..],
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>",
        b"",
    ] {
        match block_on(svc.upload_appearance_file(AppearanceFile::Logo, "logo.png", data)) {
            Err(DomainError::Refused(m)) => assert_eq!(m, NOT_AN_IMAGE),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn the_stored_name_takes_the_extension_of_the_content() {
    use kernel::storage::MockFileStorage;
    let state = seeded();
    let mut storage = MockFileStorage::new();
    storage
        .expect_save()
        .withf(|dir, name, _| dir == "appearance" && name.len() == 36 && name.ends_with(".ico"))
        .times(1)
        .returning(|_, name, _| Ok(format!("appearance/{name}")));
    let svc = service(&state, 1).with_storage(Arc::new(storage));
    let url = block_on(svc.upload_appearance_file(AppearanceFile::Favicon, "favicon.png", ICO))
        .expect("upload");
    assert!(url.starts_with("/media/appearance/") && url.ends_with(".ico"));
}

#[test]
fn urls_set_by_patch_never_delete_other_files() {
    use kernel::storage::MockFileStorage;
    let state = seeded();
    let mut storage = MockFileStorage::new();
    // Only the file the service stored itself may go.
    storage.expect_delete().times(0);
    storage
        .expect_save()
        .returning(|_, name, _| Ok(format!("appearance/{name}")));
    let svc = service(&state, 40).with_storage(Arc::new(storage));
    for url in [
        "/media/clientes/documentos/x.pdf",
        "/media/appearance/../clientes/documentos/x.pdf",
        "/media/appearance/logo.png",
        "/media/appearance/0123456789abcdef0123456789abcdef/../../x",
        "/media/appearance/sub/0123456789abcdef0123456789abcdef.png",
        "https://example.com/logo.png",
    ] {
        block_on(svc.patch_section(Section::Appearance, json!({"login_logo_url": url})))
            .expect("patch");
        block_on(svc.remove_appearance_file(AppearanceFile::Logo)).expect("clear");
        block_on(svc.patch_section(Section::Appearance, json!({"favicon_url": url})))
            .expect("patch");
        block_on(svc.upload_appearance_file(AppearanceFile::Favicon, "f.ico", ICO))
            .expect("upload");
        block_on(svc.patch_section(Section::Appearance, json!({"favicon_url": ""})))
            .expect("patch");
    }
}

#[test]
fn stored_appearance_file_names() {
    assert!(is_stored_appearance_file(
        "appearance/0123456789abcdef0123456789abcdef.png"
    ));
    assert!(is_stored_appearance_file(
        "appearance/0123456789abcdef0123456789abcdef"
    ));
    for p in [
        "appearance/0123456789abcdef0123456789abcdef.",
        "appearance/0123456789ABCDEF0123456789abcdef.png",
        "appearance/0123456789abcdef0123456789abcdef.p/ng",
        "appearance/0123456789abcdef0123456789abcde.png",
        "clientes/documentos/0123456789abcdef0123456789abcdef.pdf",
        "appearance/../0123456789abcdef0123456789abcdef.png",
        "appearance/0123456789abcdef0123456789abcdef.tar.gz",
    ] {
        assert!(!is_stored_appearance_file(p), "{p}");
    }
}

#[test]
fn put_requires_all_sections_and_validates_fully() {
    let state = seeded();
    let svc = service(&state, 2);
    assert_eq!(
        errors(block_on(svc.put_all(
            json!({"company_data": {"cnpj": "1"}, "chat_settings": 3})
        ))),
        json!({
            "company_data": {"cnpj": ["CNPJ inválido"]},
            "chat_settings": {"non_field_errors":
                ["Dados inválidos. Esperado um dicionário, mas recebido int."]},
            "email_settings": [m::REQUIRED]
        })
    );
    let r = block_on(svc.put_all(json!({
        "company_data": valid_company(),
        "chat_settings": {"mensagem_saudacao": "Oi"},
        "email_settings": {"email_from": "a@b.com"}
    })));
    let e = errors(r);
    assert_eq!(e["company_data.endereco"], json!([m::REQUIRED]));
    assert_eq!(
        e["chat_settings.limite_chats_simultaneos"],
        json!([m::REQUIRED])
    );
    assert_eq!(e["email_settings.smtp_port"], json!([m::REQUIRED]));
    assert_eq!(stored(&state), StoredConfig::with_defaults(t0()));
}

#[test]
fn put_replaces_sections_and_keeps_the_password() {
    let state = seeded();
    state
        .lock()
        .expect("lock")
        .as_mut()
        .expect("row")
        .email_settings
        .insert("smtp_senha".into(), json!("enc:antiga"));
    let svc = service(&state, 1);
    let mut company = valid_company();
    company["endereco"] = json!({"cep": "01310100", "logradouro": "Av. Paulista", "numero": "1",
                                 "bairro": "Bela Vista", "cidade": "São Paulo", "uf": "SP"});
    let mut chat = crate::model::default_chat_settings();
    chat.insert("limite_chats_simultaneos".into(), json!(2));
    let email = json!({"smtp_host": "smtp.dx.com", "smtp_port": 25, "smtp_usuario": "u",
                       "smtp_ssl": false, "email_from": "a@b.com"});
    let out = block_on(svc.put_all(json!({
        "company_data": company, "chat_settings": chat, "email_settings": email
    })))
    .expect("put");
    assert_eq!(out.email_settings, email.as_object().expect("obj").clone());
    assert_eq!(out.chat_settings["limite_chats_simultaneos"], json!(2));
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
