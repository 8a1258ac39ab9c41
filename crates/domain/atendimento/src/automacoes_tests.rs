//! The automations' rules with mock ports and a fake clock.

use crate::automacoes::*;
use crate::horario::Horario;
use crate::model::{Atendimento, Prioridade, Status};
use crate::ports::{IntakeOutcome, MockIntakeRepository};
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use futures_executor::block_on;
use kernel::clock::MockClock;
use std::sync::{Arc, Mutex};

fn atendimento(id: i64) -> Atendimento {
    let t = Utc.with_ymd_and_hms(2026, 3, 2, 13, 0, 0).unwrap();
    Atendimento {
        id,
        departamento: 1,
        departamento_nome: "S".into(),
        departamento_cor: "#3B82F6".into(),
        cliente: 1,
        cliente_nome: "C".into(),
        cliente_email: None,
        cliente_telefone: None,
        atendente: None,
        chat_id: "5511".into(),
        numero_whatsapp: "5511".into(),
        status: Status::Aguardando,
        prioridade: Prioridade::Normal,
        tempo_primeira_resposta_segundos: None,
        tempo_total_atendimento_segundos: None,
        total_mensagens_cliente: 1,
        total_mensagens_atendente: 0,
        avaliacao: None,
        comentario_avaliacao: String::new(),
        observacoes: String::new(),
        criado_em: t,
        iniciado_em: None,
        primeira_resposta_em: None,
        finalizado_em: None,
        atualizado_em: t,
        janela_desde: t,
        total_mensagens: 1,
        mensagens_nao_lidas: 1,
        ultima_mensagem: None,
        auto_encerrado: false,
        mensagem_inicial: String::new(),
    }
}

fn texts() -> ChatTexts {
    let mut h = Horario::default();
    let open = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
    let close = NaiveTime::from_hms_opt(18, 0, 0).unwrap();
    for d in 0..5 {
        h.dias[d] = Some((open, close));
    }
    ChatTexts {
        mensagem_saudacao: "Olá!".into(),
        mensagem_fora_expediente: "Fechado.".into(),
        mensagem_encerramento: "Tchau.".into(),
        mensagem_inatividade: "Inativo.".into(),
        timeout_inatividade_minutos: Some(15),
        horario: h,
    }
}

struct Setup {
    config: Automacoes,
    now: DateTime<Utc>,
    marks: MockAutomationMarks,
}

/// Builds the service; returns it with the list of texts "sent".
fn build(s: Setup) -> (Automations, Arc<Mutex<Vec<String>>>) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let mut repo = MockAutomacoesRepository::new();
    let cfg = s.config.clone();
    repo.expect_get().returning(move || Ok(cfg.clone()));
    let mut settings = MockChatSettings::new();
    settings.expect_load().returning(|| Ok(texts()));
    let mut system = MockSystemMessages::new();
    let log = sent.clone();
    system.expect_send().returning(move |_, text| {
        log.lock().unwrap().push(text.to_string());
        Ok(true)
    });
    let mut intake = MockIntakeRepository::new();
    intake
        .expect_register_outbound()
        .withf(|o| !o.by_agent)
        .returning(|_| Ok(None));
    let mut clock = MockClock::new();
    let now = s.now;
    clock.expect_now().returning(move || now);
    (
        Automations::new(AutomationDeps {
            config: Arc::new(repo),
            settings: Arc::new(settings),
            system: Arc::new(system),
            marks: Arc::new(s.marks),
            intake: Arc::new(intake),
            clock: Arc::new(clock),
        }),
        sent,
    )
}

/// Monday 2026-03-02 at `h` o'clock São Paulo (UTC−3).
fn monday(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + chrono::Duration::hours(i64::from(h) + 3)
}

fn opened() -> IntakeOutcome {
    IntakeOutcome::Opened {
        atendimento: atendimento(1),
        mensagem_inicial: "oi".into(),
        membros: vec![],
        cliente_criado: false,
    }
}

#[test]
fn everything_off_sends_nothing() {
    let (a, sent) = build(Setup {
        config: Automacoes::default(),
        now: monday(22),
        marks: MockAutomationMarks::new(),
    });
    block_on(a.after_inbound(&opened())).unwrap();
    block_on(a.after_close(&atendimento(1), false)).unwrap();
    block_on(a.after_close(&atendimento(1), true)).unwrap();
    assert!(sent.lock().unwrap().is_empty());
}

#[test]
fn greeting_only_for_new_chats_and_inside_hours_no_out_of_hours_reply() {
    let (a, sent) = build(Setup {
        config: Automacoes {
            saudacao: true,
            fora_expediente: true,
            ..Default::default()
        },
        now: monday(10),
        marks: MockAutomationMarks::new(),
    });
    block_on(a.after_inbound(&opened())).unwrap();
    block_on(a.after_inbound(&IntakeOutcome::Appended(atendimento(1)))).unwrap();
    assert_eq!(*sent.lock().unwrap(), vec!["Olá!".to_string()]);
}

#[test]
fn out_of_hours_reply_is_claimed_once_per_closed_period() {
    let mut marks = MockAutomationMarks::new();
    let claimed = Arc::new(Mutex::new(false));
    let c = claimed.clone();
    marks
        .expect_claim_fora_expediente()
        .withf(|id, _, desde| {
            // Monday 22:00 → the period began at Monday 18:00 local (21:00 UTC).
            *id == 1 && *desde == Some(Utc.with_ymd_and_hms(2026, 3, 2, 21, 0, 0).unwrap())
        })
        .returning(move |_, _, _| {
            let mut done = c.lock().unwrap();
            let first = !*done;
            *done = true;
            Ok(first)
        });
    let (a, sent) = build(Setup {
        config: Automacoes {
            fora_expediente: true,
            ..Default::default()
        },
        now: monday(22),
        marks,
    });
    for _ in 0..3 {
        block_on(a.after_inbound(&IntakeOutcome::Appended(atendimento(1)))).unwrap();
    }
    assert_eq!(*sent.lock().unwrap(), vec!["Fechado.".to_string()]);
}

#[test]
fn closing_inactivity_and_survey() {
    let mut marks = MockAutomationMarks::new();
    marks
        .expect_mark_pesquisa()
        .times(2)
        .returning(|_, _| Ok(()));
    let (a, sent) = build(Setup {
        config: Automacoes {
            encerramento: true,
            inatividade: true,
            pesquisa_satisfacao: true,
            pesquisa_satisfacao_mensagem: "Nota?".into(),
            ..Default::default()
        },
        now: monday(10),
        marks,
    });
    block_on(a.after_close(&atendimento(1), false)).unwrap();
    block_on(a.after_close(&atendimento(1), true)).unwrap();
    assert_eq!(
        *sent.lock().unwrap(),
        vec!["Tchau.", "Nota?", "Inativo.", "Nota?"]
    );
}

#[test]
fn survey_replies_are_single_digits_within_a_day() {
    let mut marks = MockAutomationMarks::new();
    let now = monday(10);
    marks
        .expect_record_pesquisa()
        .withf(move |chat, nota, desde, _| {
            chat == "5511" && *nota == 4 && *desde == now - chrono::Duration::hours(24)
        })
        .times(1)
        .returning(|_, _, _, _| Ok(Some(1)));
    let (a, _) = build(Setup {
        config: Automacoes::default(),
        now,
        marks,
    });
    assert!(block_on(a.survey_reply("5511", " 4 ")).unwrap());
    for text in ["0", "6", "45", "quatro", "", "4.0"] {
        assert!(!block_on(a.survey_reply("5511", text)).unwrap(), "{text}");
    }
    assert_eq!(nota_of("5"), Some(5));
}
