//! Test helpers: a sample document, a fixed clock and a tiny executor for the async use cases.

use crate::model::{Documento, OrigemDocumento, StatusDocumento, TipoDocumento};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Map;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

pub fn documento(id: i64) -> Documento {
    Documento {
        id,
        cliente_id: 7,
        cliente_nome: Some("ACME LTDA".into()),
        nome: "contrato_padrao - ACME LTDA".into(),
        tipo_documento: TipoDocumento::Contrato,
        status: StatusDocumento::Gerado,
        origem: OrigemDocumento::Gerado,
        arquivo: "clientes/documentos/contrato_7_0a1b2c3d.pdf".into(),
        descricao: None,
        template_usado: Some("contrato_padrao".into()),
        dados_preenchidos: Map::new(),
        data_vencimento: None,
        data_upload: Utc
            .with_ymd_and_hms(2025, 10, 12, 13, 18, 45)
            .single()
            .unwrap_or_default(),
        usuario_upload_id: Some(1),
        usuario_upload_nome: Some("admin".into()),
        ativo: true,
    }
}

pub struct FixedClock(pub DateTime<Utc>);

impl kernel::Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// 2025-10-12 13:18:45 UTC (10:18 in São Paulo).
pub fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock(documento(0).data_upload))
}

struct Noop;

impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

/// Polls a future that never truly waits (mock ports resolve immediately).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}
