//! Use-case rules with mock ports.

use crate::atendimentos::{self as at, AtendimentoService};
use crate::auto_close::AutoClose;
use crate::chats::{self as ch, ChatService};
use crate::commands::{AceitarChat, Caller, DepartamentoChanges, Transferir};
use crate::departamentos::{DepartamentoService, FilaService, NOME_TAKEN_MSG};
use crate::intake::ChatIntake;
use crate::model::*;
use crate::ports::*;
use crate::service::Deps;
use chrono::{DateTime, TimeZone, Utc};
use kernel::clock::MockClock;
use kernel::invalidation::MockCacheInvalidation;
use kernel::{Audience, DomainError, Event, EventPublisher};
use serde_json::Value;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Recorder(Mutex<Vec<(Audience, Value)>>);

impl EventPublisher for Recorder {
    fn publish(&self, audience: Audience, event: Event) {
        let v = serde_json::from_str(event.frame()).unwrap();
        self.0.lock().unwrap().push((audience, v));
    }
}

impl Recorder {
    fn take(&self) -> Vec<(Audience, Value)> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 13, 0, 0).unwrap()
}

#[derive(Default)]
struct Mocks {
    departamentos: MockDepartamentoRepository,
    filas: MockFilaRepository,
    atendimentos: MockAtendimentoRepository,
    chats: MockChatRepository,
    agents: MockAgentDirectory,
    intake: MockIntakeRepository,
    invalidations: Option<MockCacheInvalidation>,
    now: Option<DateTime<Utc>>,
}

impl Mocks {
    fn deps(self) -> (Deps, Arc<Recorder>) {
        let events = Arc::new(Recorder::default());
        let mut clock = MockClock::new();
        let now = self.now.unwrap_or_else(t0);
        clock.expect_now().returning(move || now);
        let inv = self.invalidations.unwrap_or_default();
        (
            Deps {
                departamentos: Arc::new(self.departamentos),
                filas: Arc::new(self.filas),
                atendimentos: Arc::new(self.atendimentos),
                chats: Arc::new(self.chats),
                agents: Arc::new(self.agents),
                intake: Arc::new(self.intake),
                events: events.clone(),
                invalidations: Arc::new(inv),
                clock: Arc::new(clock),
            },
            events,
        )
    }
}

fn agent(id: i64) -> AgentRef {
    AgentRef {
        id,
        username: format!("user{id}"),
        display_name: format!("User {id}"),
        is_active: true,
    }
}

fn atendimento(id: i64, status: Status, atendente: Option<i64>) -> Atendimento {
    Atendimento {
        id,
        departamento: 1,
        departamento_nome: "Suporte".into(),
        departamento_cor: "#3B82F6".into(),
        cliente: 5,
        cliente_nome: "ACME".into(),
        cliente_email: None,
        cliente_telefone: None,
        atendente: atendente.map(agent),
        chat_id: "5511999".into(),
        numero_whatsapp: "5511999".into(),
        status,
        prioridade: Prioridade::Normal,
        tempo_primeira_resposta_segundos: None,
        tempo_total_atendimento_segundos: None,
        total_mensagens_cliente: 1,
        total_mensagens_atendente: 0,
        avaliacao: None,
        comentario_avaliacao: String::new(),
        observacoes: String::new(),
        criado_em: t0(),
        iniciado_em: None,
        primeira_resposta_em: None,
        finalizado_em: None,
        atualizado_em: t0(),
        janela_desde: t0(),
        total_mensagens: 1,
        mensagens_nao_lidas: 1,
        ultima_mensagem: None,
        auto_encerrado: false,
        mensagem_inicial: "oi".into(),
    }
}

fn departamento(id: i64, ativo: bool, atendentes: Vec<i64>) -> Departamento {
    Departamento {
        id,
        nome: format!("D{id}"),
        descricao: String::new(),
        cor: "#3B82F6".into(),
        atendentes,
        max_atendimentos_simultaneos: 5,
        tempo_resposta_esperado_minutos: 15,
        ativo,
        total_em_fila: 0,
        total_em_atendimento: 0,
        criado_em: t0(),
        atualizado_em: t0(),
    }
}

const ADMIN: Caller = Caller {
    id: 1,
    is_superuser: true,
};
const AGENT2: Caller = Caller {
    id: 2,
    is_superuser: false,
};

fn bad_request(e: DomainError) -> String {
    match e {
        DomainError::BadRequest(m) => m,
        other => panic!("expected BadRequest, got {other:?}"),
    }
}

fn latest_returns(m: &mut Mocks, a: Atendimento) {
    m.atendimentos
        .expect_latest_by_chat()
        .returning(move |_, _| Ok(Some(a.clone())));
}

use futures_executor::block_on;

#[test]
fn aceitar_wins_once_and_announces_to_everyone_and_the_atendente() {
    let mut m = Mocks::default();
    latest_returns(&mut m, atendimento(10, Status::Aguardando, None));
    m.agents.expect_get().returning(|id| Ok(Some(agent(id))));
    m.chats
        .expect_aceitar()
        .withf(|id, who, obs, _| *id == 10 && *who == 2 && obs.is_none())
        .times(1)
        .returning(|_, who, _, _| Ok(Some(atendimento(10, Status::EmAtendimento, Some(who)))));
    let (d, ev) = m.deps();
    let a = block_on(ChatService::new(d).aceitar(
        AGENT2,
        "5511999",
        AceitarChat {
            atendente_id: None,
            observacoes: Some("  ".into()),
        },
    ))
    .unwrap();
    assert_eq!(a.atendente_id(), Some(2));
    let got = ev.take();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, Audience::Authenticated);
    assert_eq!(got[0].1["event"], "chat_accepted");
    assert_eq!(got[0].1["data"]["atendente_nome"], "User 2");
    assert_eq!(got[0].1["data"]["status"], "em_atendimento");
    assert_eq!(got[1].0, Audience::User(2));
    assert_eq!(got[1].1["event"], "chat_assigned");
    assert_eq!(got[1].1["data"]["mensagem_inicial"], "oi");
}

#[test]
fn aceitar_lost_race_reports_the_winners_status() {
    let mut m = Mocks::default();
    let mut calls = 0;
    m.atendimentos
        .expect_latest_by_chat()
        .returning(move |_, _| {
            calls += 1;
            Ok(Some(if calls == 1 {
                atendimento(10, Status::Aguardando, None)
            } else {
                atendimento(10, Status::EmAtendimento, Some(3))
            }))
        });
    m.agents.expect_get().returning(|id| Ok(Some(agent(id))));
    m.chats.expect_aceitar().returning(|_, _, _, _| Ok(None));
    let (d, ev) = m.deps();
    let e = block_on(ChatService::new(d).aceitar(AGENT2, "5511999", AceitarChat::default()));
    assert_eq!(
        bad_request(e.unwrap_err()),
        "Este chat já está em_atendimento"
    );
    assert!(ev.take().is_empty());
}

#[test]
fn aceitar_checks_status_then_permission_then_agent() {
    let mut m = Mocks::default();
    latest_returns(&mut m, atendimento(10, Status::Finalizado, Some(2)));
    let (d, _) = m.deps();
    let e = block_on(ChatService::new(d).aceitar(AGENT2, "x", AceitarChat::default()));
    assert_eq!(bad_request(e.unwrap_err()), "Este chat já está finalizado");

    let mut m = Mocks::default();
    latest_returns(&mut m, atendimento(10, Status::Aguardando, None));
    let (d, _) = m.deps();
    let cmd = AceitarChat {
        atendente_id: Some(9),
        observacoes: None,
    };
    let e = block_on(ChatService::new(d).aceitar(AGENT2, "x", cmd.clone()));
    assert!(matches!(e, Err(DomainError::Forbidden(Some(ref s))) if s == ch::NO_ASSIGN_OTHER));

    let mut m = Mocks::default();
    latest_returns(&mut m, atendimento(10, Status::Aguardando, None));
    m.agents.expect_get().returning(|_| Ok(None));
    let (d, _) = m.deps();
    let e = block_on(ChatService::new(d).aceitar(ADMIN, "x", cmd));
    assert!(matches!(e, Err(DomainError::NotFound("Agent"))));

    let mut m = Mocks::default();
    m.atendimentos
        .expect_latest_by_chat()
        .returning(|_, _| Ok(None));
    let (d, _) = m.deps();
    let e = block_on(ChatService::new(d).aceitar(ADMIN, "x", AceitarChat::default()));
    assert!(matches!(e, Err(DomainError::NotFound("Atendimento"))));
}

#[test]
fn chat_detail_hides_other_agents_chats_from_non_superusers() {
    for (a, visible) in [
        (atendimento(1, Status::EmAtendimento, Some(3)), false),
        (atendimento(1, Status::EmAtendimento, Some(2)), true),
        (atendimento(1, Status::Aguardando, Some(3)), true),
        (atendimento(1, Status::Pausado, None), true),
    ] {
        let mut m = Mocks::default();
        latest_returns(&mut m, a);
        let (d, _) = m.deps();
        let r = block_on(ChatService::new(d).detail(AGENT2, "x"));
        assert_eq!(r.is_ok(), visible);
        if !visible {
            assert!(matches!(r, Err(DomainError::Forbidden(Some(ref s))) if s == ch::NO_VIEW));
        }
    }
}

fn transferir(dest: i64, dep: Option<i64>) -> Transferir {
    Transferir {
        atendente_destino_id: dest,
        departamento_destino_id: dep,
        motivo: "ferias".into(),
    }
}

fn transferencia(a: &Atendimento, op: &TransferOp) -> Transferencia {
    Transferencia {
        id: 77,
        atendimento: a.id,
        atendente_origem: op.atendente_origem,
        atendente_origem_nome: None,
        atendente_destino: Some(op.atendente_destino),
        atendente_destino_nome: None,
        departamento_origem: Some(a.departamento),
        departamento_origem_nome: None,
        departamento_destino: Some(op.departamento_destino.unwrap_or(a.departamento)),
        departamento_destino_nome: None,
        motivo: op.motivo.clone(),
        aceito: true,
        aceito_em: op.aceito_em,
        criado_em: t0(),
    }
}

type TransferCase = (
    Atendimento,
    Option<AgentRef>,
    Option<Departamento>,
    Option<i64>,
    &'static str,
);

#[test]
fn atendimento_transfer_rules_in_order() {
    let cases: Vec<TransferCase> = vec![
        (
            atendimento(1, Status::Finalizado, Some(2)),
            Some(agent(3)),
            None,
            None,
            at::NOT_TRANSFERABLE,
        ),
        (
            atendimento(1, Status::EmAtendimento, Some(2)),
            Some(AgentRef {
                is_active: false,
                ..agent(3)
            }),
            None,
            None,
            at::DESTINO_INVALIDO,
        ),
        (
            atendimento(1, Status::EmAtendimento, Some(3)),
            Some(agent(3)),
            None,
            None,
            at::MESMO_ATENDENTE,
        ),
        (
            atendimento(1, Status::EmAtendimento, Some(2)),
            Some(agent(3)),
            Some(departamento(4, false, vec![3])),
            Some(4),
            at::DEPARTAMENTO_INVALIDO,
        ),
        (
            atendimento(1, Status::EmAtendimento, Some(2)),
            Some(agent(3)),
            Some(departamento(4, true, vec![5])),
            Some(4),
            at::NAO_MEMBRO,
        ),
    ];
    for (a, dest, dep, dep_id, want) in cases {
        let mut m = Mocks::default();
        m.atendimentos
            .expect_get()
            .returning(move |_, _| Ok(Some(a.clone())));
        m.agents.expect_get().returning(move |_| Ok(dest.clone()));
        m.departamentos
            .expect_get()
            .returning(move |_| Ok(dep.clone()));
        let (d, ev) = m.deps();
        let e = block_on(AtendimentoService::new(d).transferir(ADMIN, 1, transferir(3, dep_id)))
            .unwrap_err();
        let msg = match e {
            DomainError::BadRequest(s) | DomainError::NotFoundMsg(s) => s,
            other => panic!("{other:?}"),
        };
        assert_eq!(msg, want);
        assert!(ev.take().is_empty());
    }
}

#[test]
fn atendimento_transfer_writes_both_and_tells_the_destination() {
    let mut m = Mocks::default();
    let a = atendimento(1, Status::EmAtendimento, Some(2));
    let before = a.clone();
    m.atendimentos
        .expect_get()
        .returning(move |_, _| Ok(Some(before.clone())));
    m.agents.expect_get().returning(|id| Ok(Some(agent(id))));
    m.departamentos
        .expect_get()
        .returning(|id| Ok(Some(departamento(id, true, vec![3]))));
    let a2 = a.clone();
    m.chats
        .expect_transferir()
        .withf(|id, op, _| {
            *id == 1
                && op.atendente_origem == Some(2)
                && op.atendente_destino == 3
                && op.departamento_destino == Some(4)
                && op.aceito_em.is_some()
        })
        .times(1)
        .returning(move |_, op, _| {
            let mut after = a2.clone();
            after.atendente = Some(agent(3));
            Ok(Some((after, transferencia(&a2, op))))
        });
    let (d, ev) = m.deps();
    let (after, t) =
        block_on(AtendimentoService::new(d).transferir(ADMIN, 1, transferir(3, Some(4)))).unwrap();
    assert_eq!(after.atendente_id(), Some(3));
    assert!(t.foi_entre_departamentos());
    let got = ev.take();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, Audience::User(3));
    assert_eq!(got[0].1["event"], "chat_transferred");
    assert_eq!(got[0].1["data"]["de"], "user2");
    assert_eq!(got[0].1["data"]["motivo"], "ferias");
}

#[test]
fn chat_transfer_permissions_and_sistema_origin() {
    // Not the atendente → 403.
    let mut m = Mocks::default();
    latest_returns(&mut m, atendimento(1, Status::EmAtendimento, Some(3)));
    let (d, _) = m.deps();
    let e = block_on(ChatService::new(d).transferir(AGENT2, "x", transferir(4, None)));
    assert!(matches!(e, Err(DomainError::Forbidden(Some(ref s))) if s == ch::NO_TRANSFER));

    // A finished chat does not move.
    let mut m = Mocks::default();
    latest_returns(&mut m, atendimento(1, Status::Cancelado, Some(2)));
    let (d, _) = m.deps();
    let e = block_on(ChatService::new(d).transferir(AGENT2, "x", transferir(4, None)));
    assert_eq!(bad_request(e.unwrap_err()), "Este chat já está cancelado");

    // A waiting chat without atendente, by a superuser: "de" is "Sistema".
    let mut m = Mocks::default();
    let a = atendimento(1, Status::Aguardando, None);
    latest_returns(&mut m, a.clone());
    m.agents.expect_get().returning(|id| Ok(Some(agent(id))));
    m.chats
        .expect_transferir()
        .withf(|_, op, _| op.aceito_em.is_none() && op.atendente_origem.is_none())
        .returning(move |_, op, _| {
            let mut after = a.clone();
            after.atendente = Some(agent(op.atendente_destino));
            Ok(Some((after, transferencia(&a, op))))
        });
    let (d, ev) = m.deps();
    let (t, dest) =
        block_on(ChatService::new(d).transferir(ADMIN, "x", transferir(4, None))).unwrap();
    assert_eq!((t.id, dest.id), (77, 4));
    assert!(!t.foi_entre_departamentos());
    let got = ev.take();
    assert_eq!(got[0].0, Audience::User(4));
    assert_eq!(got[0].1["data"]["de"], "Sistema");
}

#[test]
fn encerrar_rules_and_event() {
    let mut m = Mocks::default();
    latest_returns(&mut m, atendimento(1, Status::EmAtendimento, Some(3)));
    let (d, _) = m.deps();
    let e = block_on(ChatService::new(d).encerrar(AGENT2, "x", None));
    assert!(matches!(e, Err(DomainError::Forbidden(Some(ref s))) if s == ch::NO_CLOSE));

    let mut m = Mocks::default();
    latest_returns(&mut m, atendimento(1, Status::Finalizado, Some(2)));
    let (d, _) = m.deps();
    let e = block_on(ChatService::new(d).encerrar(AGENT2, "x", None));
    assert_eq!(bad_request(e.unwrap_err()), "Este chat já está finalizado");

    let mut m = Mocks::default();
    latest_returns(&mut m, atendimento(1, Status::EmAtendimento, Some(2)));
    m.chats
        .expect_finalizar()
        .withf(|_, op, _| {
            op.unless_finalizado && op.observacoes.as_deref() == Some("ok") && !op.auto
        })
        .returning(|_, _, now| {
            let mut a = atendimento(1, Status::Finalizado, Some(2));
            a.finalizado_em = Some(now);
            Ok(Some(a))
        });
    let (d, ev) = m.deps();
    block_on(ChatService::new(d).encerrar(AGENT2, "x", Some("ok".into()))).unwrap();
    let got = ev.take();
    assert_eq!(got[0].0, Audience::Authenticated);
    assert_eq!(got[0].1["event"], "chat_closed");
    assert_eq!(got[0].1["data"]["atendente_id"], 2);
    assert_eq!(
        got[0].1["data"]["finalizado_em"],
        "2026-03-02T13:00:00.000000+00:00"
    );
}

#[test]
fn avaliar_accepts_only_one_to_five() {
    for (nota, ok) in [(0, false), (1, true), (5, true), (6, false), (-3, false)] {
        let mut m = Mocks::default();
        m.atendimentos
            .expect_get()
            .returning(|_, _| Ok(Some(atendimento(1, Status::Finalizado, Some(2)))));
        m.chats.expect_avaliar().returning(|_, n, _, _| {
            let mut a = atendimento(1, Status::Finalizado, Some(2));
            a.avaliacao = Some(n);
            Ok(Some(a))
        });
        let (d, _) = m.deps();
        let r = block_on(AtendimentoService::new(d).avaliar(AGENT2, 1, nota, None));
        assert_eq!(r.is_ok(), ok, "{nota}");
        if !ok {
            assert_eq!(bad_request(r.unwrap_err()), at::AVALIACAO_INVALIDA);
        }
    }
}

#[test]
fn distribuir_skips_inactive_departments_and_announces_each_assignment() {
    let mut m = Mocks::default();
    m.departamentos
        .expect_get()
        .returning(|id| Ok(Some(departamento(id, false, vec![]))));
    let (d, _) = m.deps();
    assert_eq!(block_on(FilaService::new(d).distribuir(1)).unwrap(), 0);

    let mut m = Mocks::default();
    m.departamentos.expect_get().returning(|_| Ok(None));
    let (d, _) = m.deps();
    assert_eq!(block_on(FilaService::new(d).distribuir(1)).unwrap(), 0);

    let mut m = Mocks::default();
    m.departamentos
        .expect_get()
        .returning(|id| Ok(Some(departamento(id, true, vec![2, 3]))));
    m.chats.expect_distribuir().times(1).returning(|_, _| {
        Ok(vec![
            Atribuicao {
                fila_id: 1,
                mensagem_inicial: "a".into(),
                atendimento_id: 10,
                atendente_id: 2,
                chat_id: "5511910".into(),
                cliente_nome: "Cliente 10".into(),
                departamento_nome: "Suporte".into(),
                prioridade: Prioridade::Alta,
            },
            Atribuicao {
                fila_id: 2,
                mensagem_inicial: "b".into(),
                atendimento_id: 11,
                atendente_id: 3,
                chat_id: "5511911".into(),
                cliente_nome: "Cliente 11".into(),
                departamento_nome: "Suporte".into(),
                prioridade: Prioridade::Alta,
            },
        ])
    });
    let (d, ev) = m.deps();
    assert_eq!(block_on(FilaService::new(d).distribuir(1)).unwrap(), 2);
    let got = ev.take();
    assert_eq!(got[0].0, Audience::User(2));
    assert_eq!(got[1].0, Audience::User(3));
    assert_eq!(got[1].1["data"]["mensagem_inicial"], "b");
    assert_eq!(got[1].1["data"]["departamento"], "Suporte");
    assert_eq!(got[1].1["data"]["atendimento_id"], 11);
    assert_eq!(got[1].1["data"]["chat_id"], "5511911");
    assert_eq!(got[1].1["data"]["cliente_nome"], "Cliente 11");
    assert_eq!(got[1].1["data"]["prioridade"], "alta");
}

#[test]
fn a_taken_departamento_name_is_a_field_error() {
    let mut m = Mocks::default();
    m.departamentos
        .expect_insert()
        .returning(|_, _| Err(DomainError::Conflict(NOME_TAKEN.into())));
    let (d, _) = m.deps();
    let e = block_on(DepartamentoService::new(d).create(DepartamentoChanges::default()));
    match e {
        Err(DomainError::Validation(fe)) => {
            assert_eq!(fe.to_json(), serde_json::json!({"nome": [NOME_TAKEN_MSG]}))
        }
        other => panic!("{other:?}"),
    }
}

fn inbound(text: &str) -> whatsapp::Message {
    whatsapp::Message {
        id: 1,
        session: 1,
        usuario: 1,
        usuario_nome: "admin".into(),
        message_id: "m1".into(),
        client_message_id: String::new(),
        provider_message_id: None,
        direction: whatsapp::Direction::Inbound,
        message_type: whatsapp::MessageType::Text,
        chat_id: "5511999".into(),
        contact_number: "5511999".into(),
        contact_name: String::new(),
        peer_id: None,
        text_content: text.into(),
        media_url: String::new(),
        media_mime_type: String::new(),
        media_size: None,
        payload: serde_json::json!({}),
        raw_payload: serde_json::json!({}),
        protocol_version: "v1".into(),
        status: whatsapp::MessageStatus::Delivered,
        created_at: t0(),
        queued_at: t0(),
        sent_at: None,
        delivered_at: Some(t0()),
        read_at: None,
        error_message: String::new(),
        is_from_me: false,
        latency_to_sent_ms: None,
        latency_to_delivered_ms: None,
        latency_to_read_ms: None,
    }
}

#[test]
fn intake_announces_new_chats_to_members_or_everyone() {
    for (membros, audience) in [
        (vec![2, 3], Audience::Users(vec![2, 3])),
        (vec![], Audience::Authenticated),
    ] {
        let mut m = Mocks::default();
        let mut inv = MockCacheInvalidation::new();
        inv.expect_publish()
            .withf(|i| i.cache == "clientes.lists")
            .times(1)
            .return_const(());
        m.invalidations = Some(inv);
        let ms = membros.clone();
        m.intake
            .expect_register_inbound()
            .withf(|c| c.chat_id == "5511999" && c.numero == "5511999" && c.tipo == "text")
            .returning(move |_| {
                Ok(IntakeOutcome::Opened {
                    atendimento: atendimento(10, Status::Aguardando, None),
                    mensagem_inicial: "x".repeat(300),
                    membros: ms.clone(),
                    cliente_criado: true,
                })
            });
        let (d, ev) = m.deps();
        block_on(ChatIntake::new(d).receive(&inbound("oi")))
            .unwrap()
            .unwrap();
        let got = ev.take();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, audience);
        let v = &got[0].1;
        assert_eq!(v["event"], "new_chat");
        assert_eq!(v["play_sound"], true);
        assert!(v.get("version").is_none());
        assert_eq!(v["data"]["mensagem_inicial"].as_str().unwrap().len(), 200);
        assert_eq!(v["data"]["prioridade"], "normal");
        assert_eq!(v["data"]["criado_em"], "2026-03-02T10:00:00.000000-03:00");
    }
}

#[test]
fn intake_tells_the_atendente_about_new_messages() {
    for (atendente, events) in [(Some(4), 1), (None, 0)] {
        let mut m = Mocks::default();
        m.intake.expect_register_inbound().returning(move |_| {
            Ok(IntakeOutcome::Appended(atendimento(
                10,
                Status::EmAtendimento,
                atendente,
            )))
        });
        let (d, ev) = m.deps();
        block_on(ChatIntake::new(d).receive(&inbound("de novo")))
            .unwrap()
            .unwrap();
        let got = ev.take();
        assert_eq!(got.len(), events);
        if let Some((aud, v)) = got.first() {
            assert_eq!(*aud, Audience::User(4));
            assert_eq!(v["event"], "new_message");
            assert_eq!(v["play_sound"], false);
            assert_eq!(v["data"]["texto"], "de novo");
            assert_eq!(v["data"]["de"], "5511999");
            assert_eq!(v["data"]["tipo"], "text");
        }
    }
}

#[test]
fn agent_messages_count_as_agent_activity() {
    let mut m = Mocks::default();
    m.intake
        .expect_register_outbound()
        .withf(|o| o.by_agent && o.chat_id == "5511999" && o.texto == "olá")
        .times(1)
        .returning(|_| Ok(None));
    let (d, _) = m.deps();
    block_on(ChatIntake::new(d).agent_sent(&inbound("olá"))).unwrap();
}

#[test]
fn auto_close_uses_the_clock_and_skips_chats_that_moved() {
    let now = t0() + chrono::Duration::minutes(100);
    let mut m = Mocks {
        now: Some(now),
        ..Default::default()
    };
    m.chats
        .expect_idle()
        .withf(move |before| *before == now - chrono::Duration::minutes(30))
        .returning(|_| {
            let mut a = atendimento(1, Status::EmAtendimento, Some(2));
            a.atualizado_em = t0() + chrono::Duration::minutes(45);
            let mut b = atendimento(2, Status::EmAtendimento, None);
            b.atualizado_em = t0();
            Ok(vec![a, b])
        });
    m.chats
        .expect_finalizar()
        .withf(|_, op, _| op.auto && op.unless_finalizado && op.idle_before.is_some())
        .returning(|id, op, _| {
            if id == 2 {
                return Ok(None); // a message arrived meanwhile
            }
            assert_eq!(
                op.observacoes.as_deref(),
                Some("Encerrado automaticamente por inatividade (55 minutos sem interação)")
            );
            Ok(Some(atendimento(id, Status::Finalizado, Some(2))))
        });
    let (d, ev) = m.deps();
    assert_eq!(block_on(AutoClose::new(d).tick(30)).unwrap(), 1);
    let got = ev.take();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, Audience::User(2));
    assert_eq!(got[0].1["event"], "chat_auto_closed");
    assert_eq!(got[0].1["data"]["motivo"], "inatividade");
    assert_eq!(got[0].1["data"]["tempo_inativo_minutos"], 55);
}
