//! The atendimento repositories on a SQLite file and, when `TEST_DATABASE_URL` is set, on
//! PostgreSQL: the rules that must hold under concurrency (one open atendimento per chat,
//! one winner per accept, distribution within capacity), transfers and finalize written
//! together, and the chat's counters kept with each message.

mod support;

use adapter_seaorm::*;
use atendimento::commands::{ChatFilter, ChatSort, DepartamentoChanges, MessageWindow};
use atendimento::model::{Prioridade, Status};
use atendimento::ports::*;
use chrono::{Duration, Utc};
use kernel::{DomainError, PageRequest};
use std::collections::HashMap;
use std::sync::Arc;
use support::TestDb;

fn inbound(chat: &str, text: &str) -> InboundChat {
    InboundChat {
        chat_id: chat.into(),
        numero: chat.into(),
        contact_name: "Maria".into(),
        texto: text.into(),
        tipo: "text".into(),
        at: Utc::now(),
        peer_id: None,
    }
}

struct Repos {
    database: Database,
}

impl Repos {
    fn new(t: &TestDb) -> Self {
        Self {
            database: Database::new(t.db.clone()),
        }
    }
    fn intake(&self) -> Arc<SeaOrmIntakeRepository> {
        Arc::new(SeaOrmIntakeRepository::new(&self.database))
    }
    fn chats(&self) -> Arc<SeaOrmChatRepository> {
        Arc::new(SeaOrmChatRepository::new(&self.database))
    }
    fn deps(&self) -> SeaOrmDepartamentoRepository {
        SeaOrmDepartamentoRepository::new(&self.database)
    }
    fn filas(&self) -> SeaOrmFilaRepository {
        SeaOrmFilaRepository::new(&self.database)
    }
    fn atendimentos(&self) -> SeaOrmAtendimentoRepository {
        SeaOrmAtendimentoRepository::new(&self.database)
    }
}

async fn count(t: &TestDb, sql: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let r =
        t.db.query_one_raw(sea_orm::Statement::from_string(
            t.db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap();
    r.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn concurrent_first_messages_open_one_chat() {
    for t in TestDb::all().await {
        let r = Repos::new(&t);
        let intake = r.intake();
        let mut tasks = Vec::new();
        for i in 0..30 {
            let intake = intake.clone();
            tasks.push(tokio::spawn(async move {
                intake
                    .register_inbound(&inbound("5511988887777", &format!("m{i}")))
                    .await
            }));
        }
        let mut opened = 0;
        for task in tasks {
            match task.await.unwrap().unwrap() {
                IntakeOutcome::Opened {
                    cliente_criado,
                    membros,
                    atendimento,
                    ..
                } => {
                    opened += 1;
                    assert!(cliente_criado);
                    assert!(membros.is_empty());
                    assert_eq!(atendimento.status, Status::Aguardando);
                    assert_eq!(atendimento.departamento_nome, "Suporte");
                    assert_eq!(atendimento.cliente_nome, "Maria");
                }
                IntakeOutcome::Appended(_) => {}
            }
        }
        assert_eq!(opened, 1, "{}", t.name());
        assert_eq!(count(&t, "SELECT COUNT(*) FROM atendimentos").await, 1);
        assert_eq!(count(&t, "SELECT COUNT(*) FROM filas_atendimento").await, 1);
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM clientes WHERE telefone_principal = '5511988887777'"
            )
            .await,
            1
        );
        assert_eq!(
            count(&t, "SELECT total_mensagens_cliente FROM atendimentos").await,
            30
        );
        assert_eq!(
            count(&t, "SELECT mensagens_nao_lidas FROM atendimentos").await,
            30
        );
        // A second chat of the same number's cliente reuses it.
        match intake
            .register_inbound(&inbound("5511988887777-2", "x"))
            .await
            .unwrap()
        {
            IntakeOutcome::Opened { .. } => {}
            other => panic!("{other:?}"),
        }
        t.finish().await;
    }
}

#[tokio::test]
async fn one_of_concurrent_accepts_wins() {
    for t in TestDb::all().await {
        let r = Repos::new(&t);
        let IntakeOutcome::Opened { atendimento: a, .. } = r
            .intake()
            .register_inbound(&inbound("551100", "oi"))
            .await
            .unwrap()
        else {
            panic!("not opened")
        };
        let mut agents = Vec::new();
        for i in 0..8 {
            agents.push(t.agent(&format!("acc{i}")).await);
        }
        let chats = r.chats();
        let mut tasks = Vec::new();
        for agent in agents.clone() {
            let chats = chats.clone();
            tasks.push(tokio::spawn(async move {
                chats.aceitar(a.id, agent, None, Utc::now()).await
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            if let Some(done) = task.await.unwrap().unwrap() {
                winners.push(done);
            }
        }
        assert_eq!(winners.len(), 1, "{}", t.name());
        let w = &winners[0];
        assert_eq!(w.status, Status::EmAtendimento);
        assert!(w.iniciado_em.is_some());
        assert_eq!(count(&t, "SELECT COUNT(*) FROM filas_atendimento").await, 0);
        t.finish().await;
    }
}

#[tokio::test]
async fn distribution_respects_capacity_under_concurrency() {
    for t in TestDb::all().await {
        let r = Repos::new(&t);
        let a1 = t.agent("dist1").await;
        let a2 = t.agent("dist2").await;
        let dep = r
            .deps()
            .insert(
                &DepartamentoChanges {
                    nome: Some("Vendas".into()),
                    atendentes: Some(vec![a2, a1]),
                    max_atendimentos_simultaneos: Some(3),
                    ..Default::default()
                },
                Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(dep.atendentes, vec![a1.min(a2), a1.max(a2)]);
        // Intake puts every new chat in the first active department by name: "Vendas".
        for i in 0..20 {
            r.intake()
                .register_inbound(&inbound(&format!("55119{i:04}"), "oi"))
                .await
                .unwrap();
        }
        let chats = r.chats();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let chats = chats.clone();
            let id = dep.id;
            tasks.push(tokio::spawn(async move {
                chats.distribuir(id, Utc::now()).await
            }));
        }
        let mut total = 0;
        let mut rows = std::collections::HashSet::new();
        for task in tasks {
            for a in task.await.unwrap().unwrap() {
                total += 1;
                assert!(rows.insert(a.fila_id), "row assigned twice");
                assert!([a1, a2].contains(&a.atendente_id));
            }
        }
        assert_eq!(total, 6, "{}", t.name());
        let mut load: HashMap<i64, i64> = HashMap::new();
        for a in chats
            .list(&ChatFilter {
                status: Some(Status::EmAtendimento),
                ..Default::default()
            })
            .await
            .unwrap()
        {
            *load.entry(a.atendente_id().unwrap()).or_default() += 1;
        }
        assert_eq!(load.get(&a1), Some(&3));
        assert_eq!(load.get(&a2), Some(&3));
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM filas_atendimento WHERE atribuido_em IS NULL"
            )
            .await,
            14
        );
        // The intake's waiting atendimentos were handed over (none created), with their wait.
        assert_eq!(count(&t, "SELECT COUNT(*) FROM atendimentos").await, 20);
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM atendimentos WHERE tempo_espera_segundos IS NOT NULL"
            )
            .await,
            6
        );
        // Everyone is full: nothing more.
        assert!(
            chats
                .distribuir(dep.id, Utc::now())
                .await
                .unwrap()
                .is_empty()
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn transfer_finalize_and_counters() {
    for t in TestDb::all().await {
        let r = Repos::new(&t);
        let a1 = t.agent("tr1").await;
        let a2 = t.agent("tr2").await;
        let IntakeOutcome::Opened { atendimento: a, .. } = r
            .intake()
            .register_inbound(&inbound("5522", "primeira"))
            .await
            .unwrap()
        else {
            panic!()
        };
        let chats = r.chats();
        chats
            .aceitar(a.id, a1, Some("obs".into()), Utc::now())
            .await
            .unwrap()
            .unwrap();
        // A stale origin does not transfer.
        let stale = TransferOp {
            atendente_origem: Some(a2),
            atendente_destino: a2,
            departamento_destino: None,
            motivo: "x".into(),
            aceito_em: None,
        };
        assert!(
            chats
                .transferir(a.id, &stale, Utc::now())
                .await
                .unwrap()
                .is_none()
        );
        let op = TransferOp {
            atendente_origem: Some(a1),
            ..stale
        };
        let (after, tr) = chats
            .transferir(a.id, &op, Utc::now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.atendente_id(), Some(a2));
        assert_eq!(tr.atendente_origem_nome.as_deref(), Some("tr1"));
        assert_eq!(tr.atendente_destino_nome.as_deref(), Some("tr2"));
        assert_eq!(tr.departamento_origem, tr.departamento_destino);
        assert!(tr.aceito && tr.aceito_em.is_none());

        // Counters: an agent reply resets unread and sets the first response once.
        let intake = r.intake();
        intake
            .register_inbound(&inbound("5522", "segunda"))
            .await
            .unwrap();
        let out = OutboundChat {
            chat_id: "5522".into(),
            texto: "resposta".into(),
            tipo: "text".into(),
            at: Utc::now(),
            by_agent: true,
        };
        let x = intake.register_outbound(&out).await.unwrap().unwrap();
        assert_eq!(x.mensagens_nao_lidas, 0);
        assert_eq!(x.total_mensagens, 3);
        assert_eq!(x.total_mensagens_atendente, 1);
        let first = x.primeira_resposta_em.unwrap();
        let auto = OutboundChat {
            by_agent: false,
            ..out.clone()
        };
        intake
            .register_inbound(&inbound("5522", "terceira"))
            .await
            .unwrap();
        let y = intake.register_outbound(&auto).await.unwrap().unwrap();
        assert_eq!(y.mensagens_nao_lidas, 1, "automatic messages keep unread");
        assert_eq!(y.total_mensagens_atendente, 1);
        assert_eq!(y.primeira_resposta_em, Some(first));
        assert_eq!(y.ultima_mensagem.unwrap().direcao, "outbound");

        // Auto-close only while still idle.
        let op = FinalizeOp {
            observacoes: Some("auto".into()),
            unless_finalizado: true,
            idle_before: Some(Utc::now() - Duration::minutes(30)),
            auto: true,
        };
        assert!(
            chats
                .finalizar(a.id, &op, Utc::now())
                .await
                .unwrap()
                .is_none()
        );
        let op = FinalizeOp {
            idle_before: Some(Utc::now() + Duration::seconds(5)),
            ..op
        };
        let done = chats
            .finalizar(a.id, &op, Utc::now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.status, Status::Finalizado);
        assert!(done.auto_encerrado);
        assert_eq!(done.observacoes, "auto");
        assert!(done.tempo_total_atendimento_segundos.is_some());
        assert!(
            chats
                .finalizar(a.id, &op, Utc::now())
                .await
                .unwrap()
                .is_none()
        );
        // A closed chat is not reopened by a message: a new one starts.
        match intake
            .register_inbound(&inbound("5522", "nova"))
            .await
            .unwrap()
        {
            IntakeOutcome::Opened { atendimento, .. } => assert_ne!(atendimento.id, a.id),
            other => panic!("{other:?}"),
        }
        t.finish().await;
    }
}

#[tokio::test]
async fn departamentos_filas_and_atendimentos_crud() {
    for t in TestDb::all().await {
        let r = Repos::new(&t);
        let deps = r.deps();
        let d = deps
            .insert(
                &DepartamentoChanges {
                    nome: Some("Financeiro".into()),
                    ..Default::default()
                },
                Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(
            (d.cor.as_str(), d.max_atendimentos_simultaneos),
            ("#3B82F6", 5)
        );
        let dup = deps
            .insert(
                &DepartamentoChanges {
                    nome: Some("Financeiro".into()),
                    ..Default::default()
                },
                Utc::now(),
            )
            .await;
        assert!(
            matches!(dup, Err(DomainError::Conflict(ref c)) if c == NOME_TAKEN),
            "{dup:?}"
        );
        let bad = deps
            .insert(
                &DepartamentoChanges {
                    nome: Some("Outro".into()),
                    atendentes: Some(vec![999_999]),
                    ..Default::default()
                },
                Utc::now(),
            )
            .await;
        assert!(matches!(bad, Err(DomainError::Validation(_))));
        assert_eq!(count(&t, "SELECT COUNT(*) FROM departamentos").await, 1);

        let cliente = t.cliente("ACME", "11222333000181", None).await;
        let filas = r.filas();
        let low = filas
            .insert(
                &atendimento::commands::FilaChanges {
                    departamento: Some(d.id),
                    cliente: Some(cliente),
                    chat_id: Some("c1".into()),
                    numero_whatsapp: Some("c1".into()),
                    prioridade: Some(Prioridade::Baixa),
                    ..Default::default()
                },
                Utc::now(),
            )
            .await
            .unwrap();
        let high = filas
            .insert(
                &atendimento::commands::FilaChanges {
                    departamento: Some(d.id),
                    cliente: Some(cliente),
                    chat_id: Some("c2".into()),
                    numero_whatsapp: Some("c2".into()),
                    prioridade: Some(Prioridade::Urgente),
                    ..Default::default()
                },
                Utc::now(),
            )
            .await
            .unwrap();
        let page = filas
            .list(&Default::default(), PageRequest::default())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            page.items.iter().map(|f| f.id).collect::<Vec<_>>(),
            vec![high.id, low.id]
        );
        assert_eq!(deps.get(d.id).await.unwrap().unwrap().total_em_fila, 2);

        let ats = r.atendimentos();
        let c = atendimento::commands::AtendimentoChanges {
            departamento: Some(d.id),
            cliente: Some(cliente),
            chat_id: Some("c9".into()),
            numero_whatsapp: Some("c9".into()),
            ..Default::default()
        };
        let a = ats.insert(&c, Utc::now()).await.unwrap();
        let again = ats.insert(&c, Utc::now()).await;
        assert!(
            matches!(again, Err(DomainError::Conflict(ref x)) if x == CHAT_OPEN),
            "{again:?}"
        );
        let latest = ats
            .latest_by_chat("c9", ChatStatuses::Open)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.id, a.id);
        assert!(deps.delete(d.id).await.unwrap());
        assert_eq!(count(&t, "SELECT COUNT(*) FROM atendimentos").await, 0);
        assert_eq!(count(&t, "SELECT COUNT(*) FROM filas_atendimento").await, 0);
        let _ = r
            .chats()
            .messages(&a, MessageWindow::default())
            .await
            .unwrap();
        t.finish().await;
    }
}

#[tokio::test]
async fn reports_group_by_the_database() {
    use atendimento::relatorios::{Agrupamento, Grupo, RelatorioQuery, RelatorioRepository};
    for t in TestDb::all().await {
        let r = Repos::new(&t);
        let ag = t.agent("rep1").await;
        let chats = r.chats();
        let mut ids = Vec::new();
        for i in 0..10 {
            let IntakeOutcome::Opened { atendimento: a, .. } = r
                .intake()
                .register_inbound(&inbound(&format!("5533{i}"), "oi"))
                .await
                .unwrap()
            else {
                panic!()
            };
            ids.push(a.id);
        }
        // Accept 9 of 10, waits of 10 s × i (the p90 by nearest rank is 80 s).
        for (i, id) in ids.iter().enumerate().take(9) {
            let a = r.atendimentos().get(*id, None).await.unwrap().unwrap();
            let at = a.criado_em + Duration::seconds(10 * i as i64);
            chats.aceitar(*id, ag, None, at).await.unwrap().unwrap();
        }
        for (id, nota) in [(ids[0], 5), (ids[1], 4), (ids[2], 5)] {
            chats
                .avaliar(id, nota, "", Utc::now())
                .await
                .unwrap()
                .unwrap();
            let op = FinalizeOp {
                observacoes: None,
                unless_finalizado: true,
                idle_before: None,
                auto: id == ids[2],
            };
            chats.finalizar(id, &op, Utc::now()).await.unwrap().unwrap();
        }
        let today = Utc::now().with_timezone(&kernel::clock::TZ).date_naive();
        let q = RelatorioQuery {
            inicio: today - Duration::days(1),
            fim: today,
            departamento: None,
            atendente: None,
        };
        let repo = SeaOrmRelatorioRepository::new(&r.database);
        let geral = repo.metricas(&q, Agrupamento::Geral).await.unwrap();
        let m = &geral[0].metricas;
        assert_eq!(
            (m.abertos, m.fechados, m.auto_encerrados),
            (10, 3, 1),
            "{}",
            t.name()
        );
        assert_eq!(m.csat_distribuicao, [0, 0, 0, 1, 2]);
        assert!((m.csat_media.unwrap() - 14.0 / 3.0).abs() < 1e-9);
        assert!((m.espera_media_segundos.unwrap() - 40.0).abs() < 1e-9);
        assert_eq!(m.espera_p90_segundos, Some(80.0), "{}", t.name());
        let by_agent = repo.metricas(&q, Agrupamento::Atendente).await.unwrap();
        let mine = by_agent
            .iter()
            .find(|l| l.grupo == Grupo::Atendente(Some(ag)))
            .unwrap();
        assert_eq!(mine.metricas.abertos, 9);
        assert_eq!(mine.nome.as_deref(), Some("REP1"));
        assert!(by_agent.iter().any(|l| l.grupo == Grupo::Atendente(None)));
        let by_day = repo.metricas(&q, Agrupamento::Dia).await.unwrap();
        assert_eq!(by_day.len(), 1);
        assert_eq!(by_day[0].grupo, Grupo::Dia(today));
        let by_dep = repo.metricas(&q, Agrupamento::Departamento).await.unwrap();
        assert_eq!(by_dep[0].nome.as_deref(), Some("Suporte"));
        let empty = RelatorioQuery {
            inicio: today - Duration::days(30),
            fim: today - Duration::days(20),
            ..q
        };
        assert!(
            repo.metricas(&empty, Agrupamento::Geral)
                .await
                .unwrap()
                .is_empty()
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn automation_switches_and_marks() {
    use atendimento::automacoes::{AutomacoesPatch, AutomacoesRepository, AutomationMarks};
    for t in TestDb::all().await {
        let r = Repos::new(&t);
        let cfg = SeaOrmAutomacoesRepository::new(&r.database);
        assert!(!cfg.get().await.unwrap().saudacao);
        let a = cfg
            .update(
                &AutomacoesPatch {
                    saudacao: Some(true),
                    ..Default::default()
                },
                Utc::now(),
            )
            .await
            .unwrap();
        assert!(a.saudacao && !a.encerramento);
        let b = cfg
            .update(
                &AutomacoesPatch {
                    encerramento: Some(true),
                    pesquisa_satisfacao_mensagem: Some("Nota?".into()),
                    ..Default::default()
                },
                Utc::now(),
            )
            .await
            .unwrap();
        assert!(b.saudacao && b.encerramento, "{}", t.name());
        assert_eq!(b.pesquisa_satisfacao_mensagem, "Nota?");

        let marks = SeaOrmAutomationMarks::new(&r.database);
        let IntakeOutcome::Opened { atendimento: x, .. } = r
            .intake()
            .register_inbound(&inbound("5544", "oi"))
            .await
            .unwrap()
        else {
            panic!()
        };
        let now = Utc::now();
        let period = Some(now - Duration::hours(2));
        assert!(
            marks
                .claim_fora_expediente(x.id, now, period)
                .await
                .unwrap()
        );
        assert!(
            !marks
                .claim_fora_expediente(x.id, now, period)
                .await
                .unwrap()
        );
        // A later closed period allows one more.
        let later = now + Duration::hours(20);
        assert!(
            marks
                .claim_fora_expediente(x.id, later, Some(later - Duration::hours(1)))
                .await
                .unwrap()
        );

        // Survey: only after it was sent, only once, only for the finalizado atendimento.
        let since = now - Duration::hours(24);
        assert_eq!(
            marks.record_pesquisa("5544", 5, since, now).await.unwrap(),
            None
        );
        let op = FinalizeOp {
            observacoes: None,
            unless_finalizado: true,
            idle_before: None,
            auto: false,
        };
        r.chats().finalizar(x.id, &op, now).await.unwrap().unwrap();
        assert_eq!(
            marks.record_pesquisa("5544", 5, since, now).await.unwrap(),
            None
        );
        marks.mark_pesquisa(x.id, now).await.unwrap();
        assert_eq!(
            marks.record_pesquisa("5544", 4, since, now).await.unwrap(),
            Some(x.id)
        );
        assert_eq!(
            marks.record_pesquisa("5544", 2, since, now).await.unwrap(),
            None
        );
        let a = r.atendimentos().get(x.id, None).await.unwrap().unwrap();
        assert_eq!(a.avaliacao, Some(4));
        t.finish().await;
    }
}

#[tokio::test]
async fn a_chat_first_keyed_by_its_lid_joins_the_number_once_both_arrive() {
    for t in TestDb::all().await {
        let r = Repos::new(&t);
        let intake = r.intake();
        let mut first = inbound("99887766@lid", "oi");
        first.peer_id = Some("99887766@lid".into());
        let IntakeOutcome::Opened { atendimento: a, .. } =
            intake.register_inbound(&first).await.unwrap()
        else {
            panic!("a first message opens a chat")
        };
        let mut second = inbound("5511988887777", "sou eu");
        second.peer_id = Some("99887766@lid".into());
        match intake.register_inbound(&second).await.unwrap() {
            IntakeOutcome::Appended(b) => {
                assert_eq!(b.id, a.id, "{}", t.name());
                assert_eq!(b.chat_id, "5511988887777");
                assert_eq!(b.total_mensagens_cliente, 2);
            }
            other => panic!("{}: {other:?}", t.name()),
        }
        assert_eq!(count(&t, "SELECT COUNT(*) FROM atendimentos").await, 1);
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM filas_atendimento WHERE chat_id = '5511988887777'"
            )
            .await,
            1
        );
        // A peer id that names no open chat changes nothing.
        let mut other = inbound("5511977776666", "outro");
        other.peer_id = Some("11112222@lid".into());
        assert!(matches!(
            intake.register_inbound(&other).await.unwrap(),
            IntakeOutcome::Opened { .. }
        ));
        assert_eq!(count(&t, "SELECT COUNT(*) FROM atendimentos").await, 2);
        t.finish().await;
    }
}

/// The cliente "Padaria", whose contato Ana's WhatsApp is saved as `1188887777` (no country
/// code, no ninth digit): its id.
async fn padaria_with_a_contato(t: &TestDb) -> i64 {
    use clientes::ports::{ClienteRepository, ContatoRepository};
    use clientes::{ClienteData, ContatoData};
    let mut d = ClienteData::defaults("11222333000181".into());
    d.razao_social = "Padaria".into();
    let padaria = SeaOrmClienteRepository::new(t.db.clone())
        .insert(&d, None)
        .await
        .unwrap();
    SeaOrmContatoRepository::new(t.db.clone())
        .insert(&ContatoData {
            cliente: padaria.id,
            nome: "Ana".into(),
            cargo: None,
            whatsapp: "1188887777".into(),
            email: None,
            ativo: true,
        })
        .await
        .unwrap();
    padaria.id
}

#[tokio::test]
async fn a_new_numbers_cliente_skips_a_placeholder_cnpj_typed_by_hand() {
    use clientes::ClienteData;
    use clientes::ports::ClienteRepository;
    use clientes::service::placeholder_cnpj;
    for t in TestDb::all().await {
        let r = Repos::new(&t);
        let next = count(
            &t,
            "SELECT COALESCE((SELECT value FROM placeholder_counters WHERE name = 'cliente_cnpj'), 0)",
        )
        .await;
        let next = u32::try_from(next).unwrap() + 1;
        let mut d = ClienteData::defaults(placeholder_cnpj(next));
        d.razao_social = "Digitado à mão".into();
        SeaOrmClienteRepository::new(t.db.clone())
            .insert(&d, None)
            .await
            .unwrap();
        let o = r
            .intake()
            .register_inbound(&inbound("5531988880000", "oi"))
            .await
            .unwrap();
        let IntakeOutcome::Opened {
            atendimento,
            cliente_criado,
            ..
        } = o
        else {
            panic!("{o:?}")
        };
        assert!(cliente_criado, "{}", t.name());
        let cnpj = format!(
            "SELECT COUNT(*) FROM clientes WHERE id = {} AND cnpj = '{}'",
            atendimento.cliente,
            placeholder_cnpj(next + 1)
        );
        assert_eq!(count(&t, &cnpj).await, 1, "{}", t.name());
        assert_eq!(count(&t, "SELECT COUNT(*) FROM clientes").await, 2);
        t.finish().await;
    }
}

#[tokio::test]
async fn a_contato_saved_without_the_ninth_digit_or_country_code_is_the_chats_cliente() {
    for t in TestDb::all().await {
        let r = Repos::new(&t);
        let padaria = padaria_with_a_contato(&t).await;
        match r
            .intake()
            .register_inbound(&inbound("5511988887777", "oi"))
            .await
            .unwrap()
        {
            IntakeOutcome::Opened {
                atendimento,
                cliente_criado,
                ..
            } => {
                assert!(!cliente_criado, "{}", t.name());
                assert_eq!(atendimento.cliente, padaria);
            }
            other => panic!("{other:?}"),
        }
        t.finish().await;
    }
}

/// The plan of the chat list's default page (open rows, newest message first): read in the
/// order of `ix_atendimentos_open_recent`, never a sort of every open chat (on SQLite the
/// list names the index, and `INDEXED BY` fails the statement if the index cannot serve it).
#[tokio::test]
async fn the_chat_list_page_reads_its_index_in_order() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    for t in TestDb::all().await {
        let backend = t.db.get_database_backend();
        let (explain, sort_marker) = match backend {
            DbBackend::Sqlite => ("EXPLAIN QUERY PLAN", "TEMP B-TREE"),
            _ => ("EXPLAIN", "Sort"),
        };
        // SQLite names the index (as the list does); the statement fails if it cannot serve.
        let hint = match backend {
            DbBackend::Sqlite => " INDEXED BY ix_atendimentos_open_recent",
            _ => "",
        };
        let txn = t.db.begin().await.unwrap();
        if backend == DbBackend::Postgres {
            // With a handful of rows PostgreSQL would rightly scan and sort; price both out, so a
            // sort remains only if the index cannot give the order.
            for knob in ["enable_seqscan", "enable_bitmapscan", "enable_sort"] {
                txn.execute_unprepared(&format!("SET LOCAL {knob} = off"))
                    .await
                    .unwrap();
            }
        }
        let sql = format!(
            "{explain} SELECT a.* FROM atendimentos a{hint} WHERE a.status <> 'finalizado' \
             ORDER BY (a.ultima_mensagem_em IS NULL) ASC, a.ultima_mensagem_em DESC, a.id DESC \
             LIMIT 50 OFFSET 0"
        );
        let rows = txn
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap();
        txn.rollback().await.unwrap();
        let plan: Vec<String> = rows
            .iter()
            .map(|r| {
                r.try_get::<String>("", "detail")
                    .or_else(|_| r.try_get::<String>("", "QUERY PLAN"))
                    .unwrap_or_default()
            })
            .collect();
        let text = plan.join("\n");
        assert!(
            text.contains("ix_atendimentos_open_recent"),
            "{}: {text}",
            t.name()
        );
        assert!(!text.contains(sort_marker), "{}: {text}", t.name());
        t.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_writer_batch_counts_each_chats_messages_together() {
    // The group-commit writer is SQLite's: a SQLite file on every back-end.
    let t = TestDb::sqlite_file().await;
    let r = Repos::new(&t);
    let intake = r.intake();
    let IntakeOutcome::Opened { atendimento: x, .. } = intake
        .register_inbound(&inbound("5511900000001", "antes"))
        .await
        .unwrap()
    else {
        panic!("a first message opens a chat")
    };
    let mut jobs: Vec<InboundChat> = Vec::new();
    for i in 0..5 {
        jobs.push(inbound("5511900000001", &format!("x{i}")));
    }
    for i in 0..4 {
        jobs.push(inbound("5511900000002", &format!("y{i}")));
    }
    let mut lid = inbound("4455@lid", "lid");
    lid.peer_id = Some("4455@lid".into());
    jobs.push(lid);
    let mut both = inbound("5511900000003", "numero");
    both.peer_id = Some("4455@lid".into());
    jobs.push(both.clone());
    jobs.push(inbound("5511900000003", "depois"));
    jobs.push(both);
    let outcomes = one_batch(&r, jobs).await;
    let total = |o: &IntakeOutcome| (o.atendimento().id, o.atendimento().total_mensagens_cliente);
    // Chat x was open: every message answers it as it stands after the batch.
    for o in &outcomes[0..5] {
        assert!(matches!(o, IntakeOutcome::Appended(_)), "{o:?}");
        assert_eq!(total(o), (x.id, 6));
        assert_eq!(
            o.atendimento().ultima_mensagem.as_ref().unwrap().texto,
            "x4"
        );
    }
    // Chat y opens with its first message; the others are counted on it.
    let IntakeOutcome::Opened { atendimento: y, .. } = &outcomes[5] else {
        panic!("{:?}", outcomes[5])
    };
    assert_eq!(y.total_mensagens_cliente, 1);
    for o in &outcomes[6..9] {
        assert_eq!(total(o), (y.id, 4));
    }
    // A chat opened under a lid moves to the number and keeps counting there.
    let IntakeOutcome::Opened { atendimento: l, .. } = &outcomes[9] else {
        panic!("{:?}", outcomes[9])
    };
    assert_eq!(total(&outcomes[10]), (l.id, 2));
    assert_eq!(outcomes[10].atendimento().chat_id, "5511900000003");
    for o in &outcomes[11..13] {
        assert_eq!(total(o), (l.id, 4));
        assert_eq!(
            o.atendimento().ultima_mensagem.as_ref().unwrap().texto,
            "numero"
        );
    }
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM atendimentos WHERE status <> 'finalizado'"
        )
        .await,
        3
    );
    for (chat, n) in [
        ("5511900000001", 6),
        ("5511900000002", 4),
        ("5511900000003", 4),
    ] {
        let sql = format!(
            "SELECT total_mensagens_cliente + 100 * mensagens_nao_lidas + 10000 * total_mensagens \
             FROM atendimentos WHERE chat_id = '{chat}'"
        );
        assert_eq!(count(&t, &sql).await, n * 10101, "{chat}");
    }
    t.finish().await;
}

/// Holds the writer while `jobs` queue one after the other (so one batch takes them in this
/// order), then answers their outcomes.
async fn one_batch(r: &Repos, jobs: Vec<InboundChat>) -> Vec<IntakeOutcome> {
    let intake = r.intake();
    let writer = r.database.writer().expect("SQLite has a writer");
    let hold = writer.hold().await;
    let n_jobs = jobs.len();
    let mut tasks = Vec::new();
    for (n, job) in jobs.into_iter().enumerate() {
        let intake = intake.clone();
        tasks.push(tokio::spawn(
            async move { intake.register_inbound(&job).await },
        ));
        tokio::time::timeout(std::time::Duration::from_secs(30), async {
            while writer.pending() <= n {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("queued");
    }
    drop(hold);
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap().unwrap());
    }
    assert_eq!(writer.largest_batch(), n_jobs, "one batch");
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_writer_batch_opens_its_new_chats_together() {
    use clientes::ClienteData;
    use clientes::ports::ClienteRepository;
    let t = TestDb::sqlite_file().await;
    let r = Repos::new(&t);
    // A cliente known by a contato saved without the country code, one by its main phone.
    let padaria = padaria_with_a_contato(&t).await;
    let clientes = SeaOrmClienteRepository::new(t.db.clone());
    let mut d = ClienteData::defaults("11444777000161".into());
    d.razao_social = "Oficina".into();
    d.telefone_principal = Some("+5521977776666".into());
    let oficina = clientes.insert(&d, None).await.unwrap();
    let open = r
        .intake()
        .register_inbound(&inbound("5531900000009", "antes"))
        .await
        .unwrap()
        .atendimento()
        .clone();
    let before = count(&t, "SELECT COUNT(*) FROM clientes").await;
    let mut twin = inbound("5531900000001", "outro chat, mesmo número");
    twin.chat_id = "5531900000001-2".into();
    let outcomes = one_batch(
        &r,
        vec![
            inbound("5531900000001", "novo"),
            inbound("5511988887777", "padaria"),
            inbound("5531900000009", "aberto"),
            inbound("5531900000001", "de novo"),
            inbound("5521977776666", "oficina"),
            twin,
        ],
    )
    .await;
    let opened = |o: &IntakeOutcome| match o {
        IntakeOutcome::Opened {
            atendimento,
            cliente_criado,
            mensagem_inicial,
            ..
        } => (
            atendimento.clone(),
            *cliente_criado,
            mensagem_inicial.clone(),
        ),
        other => panic!("{other:?}"),
    };
    let (novo, criado, inicial) = opened(&outcomes[0]);
    assert!(criado);
    assert_eq!(inicial, "novo");
    assert_eq!(novo.status, Status::Aguardando);
    assert_eq!(novo.cliente_nome, "Maria");
    assert_eq!(novo.total_mensagens_cliente, 2, "its later message counted");
    let (padaria_chat, criado, _) = opened(&outcomes[1]);
    assert!(!criado);
    assert_eq!(padaria_chat.cliente, padaria);
    assert_eq!(padaria_chat.total_mensagens_cliente, 1);
    match &outcomes[2] {
        IntakeOutcome::Appended(a) => {
            assert_eq!((a.id, a.total_mensagens_cliente), (open.id, 2));
            assert_eq!(a.ultima_mensagem.as_ref().unwrap().texto, "aberto");
        }
        other => panic!("{other:?}"),
    }
    match &outcomes[3] {
        IntakeOutcome::Appended(a) => {
            assert_eq!((a.id, a.total_mensagens_cliente), (novo.id, 2));
            assert_eq!(a.mensagens_nao_lidas, 2);
            assert_eq!(a.ultima_mensagem.as_ref().unwrap().texto, "de novo");
        }
        other => panic!("{other:?}"),
    }
    let (oficina_chat, criado, _) = opened(&outcomes[4]);
    assert!(!criado);
    assert_eq!(oficina_chat.cliente, oficina.id);
    // Two chats of one number: one cliente, made for the first.
    let (twin_chat, criado, _) = opened(&outcomes[5]);
    assert!(!criado);
    assert_eq!(twin_chat.cliente, novo.cliente);
    assert_ne!(twin_chat.id, novo.id);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM clientes").await, before + 1);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM filas_atendimento WHERE atribuido_em IS NULL"
        )
        .await,
        5
    );
    // Every answer is the stored row.
    for o in &outcomes {
        let a = o.atendimento();
        let stored = r.atendimentos().get(a.id, None).await.unwrap().unwrap();
        assert_eq!(&stored, a);
    }
    t.finish().await;
}

#[tokio::test]
async fn the_chat_list_reads_every_field_as_a_single_fetch_does() {
    for t in TestDb::all().await {
        let r = Repos::new(&t);
        let chats = r.chats();
        let agent = t.agent("lista1").await;
        let mut ids = Vec::new();
        for (i, chat) in ["5531", "5532", "5533"].iter().enumerate() {
            let o = r
                .intake()
                .register_inbound(&inbound(chat, &format!("oi {i}")))
                .await
                .unwrap();
            ids.push(o.atendimento().id);
        }
        // One accepted (an atendente, times), one rated after its end, one waiting.
        chats
            .aceitar(ids[0], agent, Some("obs".into()), Utc::now())
            .await
            .unwrap()
            .unwrap();
        chats
            .aceitar(ids[1], agent, None, Utc::now())
            .await
            .unwrap()
            .unwrap();
        let fin = FinalizeOp {
            observacoes: Some("fim".into()),
            unless_finalizado: true,
            idle_before: None,
            auto: false,
        };
        chats
            .finalizar(ids[1], &fin, Utc::now())
            .await
            .unwrap()
            .unwrap();
        for status in [None, Some(Status::Finalizado)] {
            let listed = chats
                .list(&ChatFilter {
                    status,
                    sort: ChatSort::LastMessage,
                    descending: true,
                    page: Some(MessageWindow {
                        limit: 50,
                        offset: 0,
                    }),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert!(!listed.is_empty(), "{}", t.name());
            for a in &listed {
                let one = r.atendimentos().get(a.id, None).await.unwrap().unwrap();
                assert_eq!(a, &one, "{}", t.name());
            }
        }
        t.finish().await;
    }
}

#[tokio::test]
async fn distribution_hands_over_more_rows_than_one_statement_takes() {
    for t in TestDb::all().await {
        let r = Repos::new(&t);
        let agents = [
            t.agent("big1").await,
            t.agent("big2").await,
            t.agent("big3").await,
        ];
        let dep = r
            .deps()
            .insert(
                &DepartamentoChanges {
                    nome: Some("Atacado".into()),
                    atendentes: Some(agents.to_vec()),
                    max_atendimentos_simultaneos: Some(200),
                    ..Default::default()
                },
                Utc::now(),
            )
            .await
            .unwrap();
        for i in 0..450 {
            r.intake()
                .register_inbound(&inbound(&format!("55219{i:04}"), "oi"))
                .await
                .unwrap();
        }
        // A minute and a half after the chats came in: their wait.
        let at = Utc::now() + chrono::Duration::seconds(90);
        let done = r.chats().distribuir(dep.id, at).await.unwrap();
        assert_eq!(done.len(), 450, "{}", t.name());
        let mut per_agent: HashMap<i64, usize> = HashMap::new();
        let mut chats = std::collections::HashSet::new();
        for a in &done {
            // What `chat_assigned` tells is the stored atendimento.
            let stored = r
                .atendimentos()
                .get(a.atendimento_id, None)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.status, Status::EmAtendimento, "{}", t.name());
            assert_eq!(stored.atendente_id(), Some(a.atendente_id));
            assert_eq!(stored.chat_id, a.chat_id);
            assert_eq!(stored.cliente_nome, a.cliente_nome);
            assert_eq!(a.cliente_nome, "Maria");
            assert_eq!(stored.departamento_nome, a.departamento_nome);
            assert_eq!(a.departamento_nome, "Atacado");
            assert_eq!(stored.prioridade, a.prioridade);
            assert_eq!(stored.mensagem_inicial, a.mensagem_inicial);
            assert!(chats.insert(a.chat_id.clone()), "chat assigned twice");
            *per_agent.entry(a.atendente_id).or_default() += 1;
        }
        for agent in agents {
            assert_eq!(per_agent.get(&agent), Some(&150), "{}", t.name());
        }
        assert_eq!(count(&t, "SELECT COUNT(*) FROM atendimentos").await, 450);
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM atendimentos WHERE status = 'em_atendimento' \
                 AND tempo_espera_segundos BETWEEN 90 AND 120"
            )
            .await,
            450
        );
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM filas_atendimento WHERE atribuido_em IS NULL"
            )
            .await,
            0
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn two_queue_rows_of_one_chat_give_it_one_atendimento() {
    for t in TestDb::all().await {
        let r = Repos::new(&t);
        let agents = [t.agent("dup1").await, t.agent("dup2").await];
        let dep = r
            .deps()
            .insert(
                &DepartamentoChanges {
                    nome: Some("Cobrança".into()),
                    atendentes: Some(agents.to_vec()),
                    max_atendimentos_simultaneos: Some(5),
                    ..Default::default()
                },
                Utc::now(),
            )
            .await
            .unwrap();
        let cliente = t.cliente("ACME", "11222333000181", None).await;
        // Two rows for a chat with no open atendimento, two for one that waits (intake).
        r.intake()
            .register_inbound(&inbound("5531900000002", "oi"))
            .await
            .unwrap();
        for chat in ["5531900000001", "5531900000001", "5531900000002"] {
            r.filas()
                .insert(
                    &atendimento::commands::FilaChanges {
                        departamento: Some(dep.id),
                        cliente: Some(cliente),
                        chat_id: Some(chat.into()),
                        numero_whatsapp: Some(chat.into()),
                        ..Default::default()
                    },
                    Utc::now(),
                )
                .await
                .unwrap();
        }
        let done = r.chats().distribuir(dep.id, Utc::now()).await.unwrap();
        let mut chats: Vec<&str> = done.iter().map(|a| a.chat_id.as_str()).collect();
        chats.sort_unstable();
        assert_eq!(chats, ["5531900000001", "5531900000002"], "{}", t.name());
        assert_eq!(count(&t, "SELECT COUNT(*) FROM atendimentos").await, 2);
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM filas_atendimento WHERE atribuido_em IS NULL"
            )
            .await,
            0
        );
        t.finish().await;
    }
}

/// PostgreSQL: the chat list's real statement (the joined select, `LIMIT`/`OFFSET` bound as
/// the list binds them), on thousands of analysed open chats and with no planner knob,
/// walks `ix_atendimentos_open_recent` in order and sorts nothing.
#[tokio::test]
async fn the_postgres_chat_list_walks_its_index_on_a_large_table() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let t = TestDb::new().await;
    if t.db.get_database_backend() != DbBackend::Postgres {
        t.finish().await;
        return;
    }
    let r = Repos::new(&t);
    r.intake()
        .register_inbound(&inbound("5511900000001", "oi"))
        .await
        .unwrap();
    for sql in [
        "INSERT INTO atendimentos (departamento_id, cliente_id, chat_id, numero_whatsapp, \
         status, prioridade, prioridade_rank, comentario_avaliacao, observacoes, criado_em, \
         atualizado_em, janela_desde, mensagem_inicial, criado_dia, ultima_mensagem_texto, \
         ultima_mensagem_tipo, ultima_mensagem_direcao, ultima_mensagem_em) \
         SELECT departamento_id, cliente_id, chat_id || '-' || g, numero_whatsapp, status, \
         prioridade, prioridade_rank, comentario_avaliacao, observacoes, criado_em, \
         atualizado_em, janela_desde, mensagem_inicial, criado_dia, ultima_mensagem_texto, \
         ultima_mensagem_tipo, ultima_mensagem_direcao, \
         CASE WHEN g % 10 = 0 THEN NULL ELSE now() - g * interval '1 second' END \
         FROM atendimentos, generate_series(1, 5000) AS g",
        "ANALYZE atendimentos",
    ] {
        t.db.execute_unprepared(sql).await.unwrap();
    }
    let sql = "EXPLAIN SELECT a.*, d.nome AS d_nome, d.cor AS d_cor, \
         c.razao_social AS c_nome, c.email_principal AS c_email, c.telefone_principal AS c_tel, \
         g.username AS g_username, g.display_name AS g_display, g.is_active AS g_active \
         FROM atendimentos a \
         JOIN departamentos d ON d.id = a.departamento_id \
         JOIN clientes c ON c.id = a.cliente_id \
         LEFT JOIN agents g ON g.id = a.atendente_id \
         WHERE a.status <> 'finalizado' \
         ORDER BY (a.ultima_mensagem_em IS NULL) ASC, a.ultima_mensagem_em DESC, a.id DESC \
         LIMIT $1 OFFSET $2";
    for offset in [0i64, 1_000] {
        let rows =
            t.db.query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [50i64.into(), offset.into()],
            ))
            .await
            .unwrap();
        let text = rows
            .iter()
            .map(|r| r.try_get::<String>("", "QUERY PLAN").unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(text.contains("ix_atendimentos_open_recent"), "{text}");
        assert!(!text.contains("Sort"), "{text}");
        assert!(!text.contains("Seq Scan on atendimentos"), "{text}");
    }
    // The list itself answers the newest chats first.
    let f = ChatFilter {
        sort: ChatSort::LastMessage,
        descending: true,
        page: Some(MessageWindow {
            limit: 50,
            offset: 0,
        }),
        ..Default::default()
    };
    let list = r.chats().list(&f).await.unwrap();
    assert_eq!(list.len(), 50);
    let at = |a: &atendimento::model::Atendimento| a.ultima_mensagem.as_ref().map(|m| m.em);
    assert!(list.iter().all(|a| at(a).is_some()));
    assert!(list.windows(2).all(|w| at(&w[0]) >= at(&w[1])));
    t.finish().await;
}
