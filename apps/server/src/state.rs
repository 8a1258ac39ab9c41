//! The composition root: adapters → ports → domain services, built once. Handlers never see
//! this: each area (`routes::<area>::Area`) takes from it the services it needs, and
//! [`Services::configure`] registers every area's state and routes.

use crate::config::Config;
use adapter_cache::{CachedClienteRepository, CachedGrupoRepository, ListCache};
use adapter_cipher::AesGcmCipher;
use adapter_seaorm as db;
use adapter_security::{Argon2Hasher, JwtCodec};
use adapter_storage::{LocalFileStorage, MediaUrlSigner};
use authz::AuthService;
use authz::agents::AgentService;
use authz::auth::AuthConfig;
use authz::groups::GroupService;
use clientes::chat::ChatIntakeService;
use clientes::ports::{ClienteRepository, ContatoRepository, GrupoEmpresaRepository};
use clientes::service::{ClienteService, ContatoService};
use configuracoes::ConfigService;
use documentos::{DocumentoService, GeracaoService};
use kernel::cep::CepLookup;
use kernel::storage::FileStorage;
use kernel::{CacheInvalidation, Clock, DomainError, LocalInvalidations, SystemClock};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

pub mod gateway;
pub mod presence;
pub use presence::PresenceServices;

/// The WhatsApp area's use cases and what the background sender needs.
pub struct WhatsAppServices {
    pub sessions: Arc<whatsapp::sessions::SessionService>,
    pub messages: Arc<whatsapp::messages::MessageService>,
    pub intake: Arc<whatsapp::intake::InboundIntake>,
    pub gateway_events: Arc<whatsapp::sessions::GatewayEventHandler>,
    pub outbox: Arc<whatsapp::outbox::Outbox>,
    /// Wakes the sender when a message is queued or a session becomes ready.
    pub outbox_signal: Arc<OutboxNotify>,
    /// Whether this process runs the sender (`DX_OUTBOX`).
    pub run_outbox: bool,
    /// What the real gateways' webhook receivers check.
    pub webhooks: gateway::WebhookSettings,
    deps: whatsapp::sessions::Deps,
}

/// [`whatsapp::ports::OutboxSignal`] on a tokio `Notify`.
#[derive(Default)]
pub struct OutboxNotify(pub tokio::sync::Notify);

impl whatsapp::ports::OutboxSignal for OutboxNotify {
    fn notify(&self) {
        self.0.notify_one();
    }
}

impl WhatsAppServices {
    /// Wires the area on the gateway `WHATSAPP_GATEWAY` chooses (the simulator by default)
    /// and the hub; every message an agent sends is handed to `activity` (the chat it belongs
    /// to counts it). Inbound messages reach no chat until [`Self::with_inbound`].
    fn build(
        database: &db::Database,
        config: &Config,
        events: Arc<dyn kernel::EventPublisher>,
        clock: Arc<dyn Clock>,
        activity: Arc<dyn whatsapp::ports::OutboundMessageHandler>,
        invalidations: Arc<dyn CacheInvalidation>,
    ) -> Self {
        use whatsapp::ports::{GatewayEvents, OutboxSignal};
        let gateway = gateway::Gateway::new(&config.whatsapp_gateway, config.whatsapp_step);
        let deps = whatsapp::sessions::Deps {
            // The webhook's target session is read per inbound message: remembered
            // between messages, dropped on every session write of any instance.
            sessions: Arc::new(adapter_cache::CachedSessions::follow(
                Arc::new(db::SeaOrmSessionRepository::new(
                    database.connection().clone(),
                )),
                invalidations,
            )),
            messages: Arc::new(db::SeaOrmMessageRepository::new(database)),
            gateway: gateway.port(),
            events,
            clock,
            files: Arc::new(LocalFileStorage::new(config.media_root.clone())),
        };
        let outbox_signal = Arc::new(OutboxNotify::default());
        let signal: Arc<dyn OutboxSignal> = outbox_signal.clone();
        let gateway_events = Arc::new(
            whatsapp::sessions::GatewayEventHandler::new(deps.clone()).with_outbox(signal.clone()),
        );
        let listener: Arc<dyn GatewayEvents> = gateway_events.clone();
        gateway.bind(&listener);
        Self {
            sessions: Arc::new(whatsapp::sessions::SessionService::new(deps.clone())),
            messages: Arc::new(
                whatsapp::messages::MessageService::new(deps.clone(), signal)
                    .with_activity(activity),
            ),
            intake: Arc::new(whatsapp::intake::InboundIntake::new(
                deps.clone(),
                Arc::new(whatsapp::ports::NoIntake),
            )),
            outbox: Arc::new(whatsapp::outbox::Outbox::new(
                deps.clone(),
                gateway_events.clone(),
                whatsapp::outbox::OutboxConfig::default(),
            )),
            gateway_events,
            outbox_signal,
            run_outbox: config.outbox,
            webhooks: gateway::WebhookSettings::of(&config.whatsapp_gateway),
            deps,
        }
    }

    /// Hands every stored inbound message to `handler` (the chat intake). Called while
    /// wiring, before any route or socket takes the intake.
    fn with_inbound(mut self, handler: Arc<dyn whatsapp::ports::InboundMessageHandler>) -> Self {
        self.intake = Arc::new(whatsapp::intake::InboundIntake::new(
            self.deps.clone(),
            handler,
        ));
        self
    }
}

/// The atendimento area's use cases, the chat intake the WhatsApp area hands its messages to,
/// and the auto-close job's use case.
pub struct AtendimentoServices {
    pub departamentos: Arc<atendimento::departamentos::DepartamentoService>,
    pub filas: Arc<atendimento::departamentos::FilaService>,
    pub atendimentos: Arc<atendimento::atendimentos::AtendimentoService>,
    pub chats: Arc<atendimento::chats::ChatService>,
    pub intake: Arc<atendimento::intake::ChatIntake>,
    pub auto_close: Arc<atendimento::auto_close::AutoClose>,
}

impl AtendimentoServices {
    /// The area's ports on the database, the hub and the clock.
    fn deps(
        database: &db::Database,
        events: Arc<dyn kernel::EventPublisher>,
        invalidations: Arc<dyn CacheInvalidation>,
        clock: Arc<dyn Clock>,
    ) -> atendimento::service::Deps {
        atendimento::service::Deps {
            departamentos: Arc::new(db::SeaOrmDepartamentoRepository::new(database)),
            filas: Arc::new(db::SeaOrmFilaRepository::new(database)),
            atendimentos: Arc::new(db::SeaOrmAtendimentoRepository::new(database)),
            chats: Arc::new(db::SeaOrmChatRepository::new(database)),
            agents: Arc::new(db::SeaOrmAgentDirectory::new(database)),
            intake: Arc::new(db::SeaOrmIntakeRepository::new(database)),
            events,
            invalidations,
            clock,
        }
    }

    /// The use cases, each with the automatic messages that follow its changes.
    fn build(
        deps: atendimento::service::Deps,
        automacoes: Arc<atendimento::automacoes::Automations>,
    ) -> Self {
        use atendimento::{atendimentos, auto_close, chats, departamentos, intake};
        let a = automacoes;
        Self {
            departamentos: Arc::new(departamentos::DepartamentoService::new(deps.clone())),
            filas: Arc::new(departamentos::FilaService::new(deps.clone())),
            atendimentos: Arc::new(
                atendimentos::AtendimentoService::new(deps.clone()).with_automations(a.clone()),
            ),
            chats: Arc::new(chats::ChatService::new(deps.clone()).with_automations(a.clone())),
            intake: Arc::new(intake::ChatIntake::new(deps.clone()).with_automations(a.clone())),
            auto_close: Arc::new(auto_close::AutoClose::new(deps).with_automations(a)),
        }
    }
}

pub struct Services {
    /// The database pool (the metrics read its figures).
    pub db: DatabaseConnection,
    /// The connections to Redis shared with the other instances (`REDIS_URL`).
    pub redis: Option<Arc<adapter_redis::RedisShared>>,
    /// Server ping interval of the WebSockets (`DX_WS_PING_SECS`).
    pub ws_ping: std::time::Duration,
    /// The real-time hub every area publishes through; the WebSocket endpoints register
    /// their sockets on it.
    pub hub: Arc<adapter_realtime::Hub>,
    pub whatsapp: WhatsAppServices,
    pub atendimento: AtendimentoServices,
    /// Background jobs take it around each tick: one process per tick on a shared database.
    pub job_lock: Arc<dyn kernel::JobLock>,
    pub presence: PresenceServices,
    pub auth: Arc<AuthService>,
    pub agents: Arc<AgentService>,
    pub groups: Arc<GroupService>,
    pub clientes: Arc<ClienteService>,
    pub contatos: Arc<ContatoService>,
    pub chat: Arc<ChatIntakeService>,
    pub cep: Arc<dyn CepLookup>,
    pub config: Arc<ConfigService>,
    pub files: Arc<dyn FileStorage>,
    pub media: Arc<crate::routes::media::MediaFiles>,
    pub documentos: Arc<DocumentoService>,
    pub geracao: Arc<GeracaoService>,
    pub readiness: Arc<dyn crate::routes::docs::Readiness>,
    pub relatorios: Arc<atendimento::relatorios::RelatorioService>,
    /// The automatic messages (greeting, out of hours, closing, inactivity, survey).
    pub automacoes: Arc<atendimento::automacoes::Automations>,
    /// Serialized chat list pages, served while the database's list version is unchanged.
    pub chat_pages: Arc<crate::routes::chat_pages::ChatPages>,
}

/// The database answers (the health check's port).
struct DatabaseReadiness(DatabaseConnection);

#[async_trait::async_trait]
impl crate::routes::docs::Readiness for DatabaseReadiness {
    async fn ping(&self) -> Result<(), String> {
        self.0.ping().await.map_err(|e| e.to_string())
    }
}

pub const SECRET_KEY_SETTING: &str = "jwt_signing_key";

/// Opens the Redis connections of this instance. A Redis that is not up yet is not fatal:
/// the instance serves on its own (events, caches, throttle and presence local) and connects
/// when Redis answers; only an invalid URL stops the start-up.
async fn connect_redis(url: &str, prefix: &str) -> Result<adapter_redis::RedisShared, DomainError> {
    let options = adapter_redis::RedisOptions::new(prefix);
    match adapter_redis::RedisShared::connect_with(url, options.clone()).await {
        Ok(r) => {
            tracing::info!(
                prefix,
                "sharing events, caches, throttle and presence through Redis"
            );
            Ok(r)
        }
        Err(adapter_redis::Error::InvalidUrl(e)) => Err(DomainError::internal(format!(
            "REDIS_URL is not a valid Redis URL: {e}"
        ))),
        Err(e) => {
            tracing::warn!(error = %e, "Redis is unreachable: serving alone until it answers");
            adapter_redis::RedisShared::connect_lazy(url, options)
                .map_err(|e| DomainError::internal(format!("REDIS_URL: {e}")))
        }
    }
}

impl Services {
    /// Registers every area: its state (`web::Data<Area>`) and its routes.
    pub fn configure(&self, cfg: &mut actix_web::web::ServiceConfig) {
        crate::routes::configure(cfg, self);
    }

    /// Connects, migrates and builds every service.
    pub async fn build(config: &Config) -> Result<Arc<Self>, DomainError> {
        let conn = db::connect(&config.database_url)
            .await
            .map_err(DomainError::internal)?;
        db::migrate(&conn).await.map_err(DomainError::internal)?;
        let settings = db::SeaOrmSettings::new(conn.clone());
        let secret = match &config.secret_key {
            Some(k) => k.clone(),
            None => {
                settings
                    .set_if_absent(SECRET_KEY_SETTING, &adapter_security::random_secret())
                    .await?
            }
        };
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        // In-process by default; Redis when several instances share the database.
        let redis = match &config.redis_url {
            Some(url) => Some(Arc::new(connect_redis(url, &config.redis_prefix).await?)),
            None => None,
        };
        let invalidations: Arc<dyn CacheInvalidation> = match &redis {
            Some(r) => r.invalidations(),
            None => Arc::new(LocalInvalidations::default()),
        };
        let agents_repo = Arc::new(db::SeaOrmAgentRepository::new(conn.clone()));
        let groups_repo = Arc::new(db::SeaOrmGroupRepository::new(conn.clone()));
        // One handle, and with it one group-commit writer, for every repository's inserts.
        let database = db::Database::new(conn.clone());
        let raw_clientes: Arc<dyn ClienteRepository> =
            Arc::new(db::SeaOrmClienteRepository::new(&database));
        let raw_grupos: Arc<dyn GrupoEmpresaRepository> =
            Arc::new(db::SeaOrmGrupoEmpresaRepository::new(conn.clone()));
        let raw_contatos: Arc<dyn ContatoRepository> =
            Arc::new(db::SeaOrmContatoRepository::new(conn.clone()));
        let raw_uow: Arc<dyn clientes::ports::UnitOfWork> =
            Arc::new(db::SeaOrmUnitOfWork::new(conn.clone()));
        let (clientes_repo, grupos_repo, contatos_repo, uow) = if config.list_cache {
            let cache = ListCache::follow(invalidations.clone());
            (
                Arc::new(CachedClienteRepository::new(raw_clientes, cache.clone()))
                    as Arc<dyn ClienteRepository>,
                Arc::new(CachedGrupoRepository::new(raw_grupos, cache.clone()))
                    as Arc<dyn GrupoEmpresaRepository>,
                raw_contatos,
                Arc::new(adapter_cache::CachedUnitOfWork::new(raw_uow, cache))
                    as Arc<dyn clientes::ports::UnitOfWork>,
            )
        } else {
            (raw_clientes, raw_grupos, raw_contatos, raw_uow)
        };
        let hasher = Arc::new(Argon2Hasher);
        let storage = Arc::new(LocalFileStorage::new(config.media_root.clone()));
        storage.ensure_root().await?;
        let cipher = AesGcmCipher::from_env_or_file(
            config.config_crypto_key.as_deref(),
            &config.data_dir.join(adapter_cipher::KEY_FILE_NAME),
        )
        .map_err(DomainError::internal)?;
        let documentos_repo = Arc::new(db::SeaOrmDocumentoRepository::new(conn.clone()));
        let mut auth = AuthService::new(
            agents_repo.clone(),
            hasher.clone(),
            Arc::new(JwtCodec::new(secret.as_bytes())?),
            clock.clone(),
            AuthConfig {
                access_ttl_secs: config.access_ttl_secs,
                refresh_ttl_secs: config.refresh_ttl_secs,
                ..Default::default()
            },
        );
        if let Some(r) = &redis {
            auth = auth.with_login_attempts(Arc::new(r.login_attempts(
                authz::auth::LOGIN_MAX_FAILURES,
                authz::auth::LOGIN_WINDOW_SECS,
            )));
        }
        let config_service = ConfigService::new(
            Arc::new(db::SeaOrmConfigRepository::new(conn.clone())),
            Arc::new(cipher),
            clock.clone(),
        )
        .with_storage(storage.clone());
        let config_service = Arc::new(config_service);
        let principals = auth.principal_cache();
        principals.follow(invalidations.clone());
        let hub_config = adapter_realtime::HubConfig {
            queue_capacity: config.ws_queue,
        };
        let hub = match &redis {
            Some(r) => adapter_realtime::Hub::with_broker(hub_config, r.broker()),
            None => adapter_realtime::Hub::new(hub_config),
        };
        // Open sockets per agent: this hub's, or every instance's through Redis.
        let sockets: Arc<dyn atendimento::presenca::ports::SocketPresence> = match &redis {
            Some(r) => {
                let presence = r.socket_presence();
                hub.on_connection_change(presence.listener());
                presence
            }
            None => Arc::new(presence::HubSockets(hub.clone())),
        };
        // The chat intake's automatic replies go out through the WhatsApp area's outbox, and
        // the WhatsApp area hands its messages to the chat intake: the area is built first, its
        // inbound messages connected to the intake last.
        let chat_deps =
            AtendimentoServices::deps(&database, hub.clone(), invalidations.clone(), clock.clone());
        let whatsapp = WhatsAppServices::build(
            &database,
            config,
            hub.clone(),
            clock.clone(),
            // An agent's sent message only counts on its chat (no automation reacts to it).
            Arc::new(atendimento::intake::ChatIntake::new(chat_deps.clone())),
            invalidations.clone(),
        );
        let relatorios = Arc::new(atendimento::relatorios::RelatorioService::new(Arc::new(
            db::SeaOrmRelatorioRepository::new(&database),
        )));
        let automacoes = Arc::new(atendimento::automacoes::Automations::new(
            atendimento::automacoes::AutomationDeps {
                config: Arc::new(db::SeaOrmAutomacoesRepository::new(&database)),
                settings: Arc::new(crate::bridges::ChatSettingsFromConfig(
                    config_service.clone(),
                )),
                system: Arc::new(crate::bridges::SystemMessagesViaOutbox(
                    whatsapp.messages.clone(),
                )),
                marks: Arc::new(db::SeaOrmAutomationMarks::new(&database)),
                intake: Arc::new(db::SeaOrmIntakeRepository::new(&database)),
                clock: clock.clone(),
            },
        ));
        let atendimento = AtendimentoServices::build(chat_deps, automacoes.clone());
        let whatsapp = whatsapp.with_inbound(atendimento.intake.clone());
        let presence = PresenceServices::build(&conn, hub.clone(), sockets, clock.clone(), config)?;
        let cep = match &redis {
            Some(r) => adapter_viacep::build_shared(
                config.cep_provider.as_deref(),
                clock.clone(),
                |providers| r.cep_cache(providers, std::time::Duration::from_secs(86_400)),
            ),
            None => adapter_viacep::build_from_env(config.cep_provider.as_deref(), clock.clone()),
        };
        Ok(Arc::new(Self {
            db: conn.clone(),
            redis,
            relatorios,
            automacoes,
            chat_pages: Arc::default(),
            ws_ping: config.ws_ping,
            hub,
            whatsapp,
            atendimento,
            job_lock: Arc::new(db::SeaOrmJobLock::new(&database)),
            presence,
            media: Arc::new(crate::routes::media::MediaFiles::new(
                MediaUrlSigner::new(format!("media:{secret}")),
                storage.clone(),
            )),
            documentos: Arc::new(DocumentoService::new(
                documentos_repo.clone(),
                storage.clone(),
                clock.clone(),
            )),
            geracao: Arc::new(
                GeracaoService::new(
                    documentos_repo,
                    storage.clone(),
                    Arc::new(adapter_pdf::PrintPdfRenderer),
                    clock.clone(),
                )
                .with_fontes(
                    Arc::new(crate::bridges::ClientesDocumentos(clientes_repo.clone())),
                    Arc::new(crate::bridges::EmpresaDocumentos(config_service.clone())),
                ),
            ),
            config: config_service,
            files: storage.clone(),
            readiness: Arc::new(DatabaseReadiness(conn)),
            auth: Arc::new(auth),
            agents: Arc::new(
                AgentService::new(agents_repo.clone(), groups_repo.clone(), hasher)
                    .with_principal_cache(principals.clone()),
            ),
            groups: Arc::new(
                GroupService::new(groups_repo, agents_repo)
                    .with_principal_cache(principals.clone()),
            ),
            cep,
            clientes: Arc::new(
                ClienteService::new(clientes_repo.clone(), grupos_repo.clone(), clock)
                    .with_storage(storage.clone())
                    .with_unit_of_work(uow.clone()),
            ),
            contatos: Arc::new(ContatoService::new(
                contatos_repo.clone(),
                clientes_repo.clone(),
            )),
            chat: Arc::new(ChatIntakeService::new(
                contatos_repo,
                clientes_repo,
                grupos_repo,
                uow,
            )),
        }))
    }
}
