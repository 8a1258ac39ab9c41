//! A real gateway has one connection (an Evolution instance, a Meta phone number) that every
//! user's session shares: what its webhooks say about that connection applies to every live
//! session (connecting … ready). The simulator keeps one connection per user and reports per
//! user instead ([`GatewayEvents::connection_changed`]).

use crate::events::SessionEvent;
use crate::ports::GatewayEvents;
use crate::session::{ConnectionState, SessionStatus, Transition};
use crate::sessions::{GatewayEventHandler, report_failure};
use kernel::{Audience, Result};

/// The steps that take a session from `from` to what the gateway reports: Evolution says
/// `open` right after the QR code was read, the session passes through `authenticated`.
fn steps(from: SessionStatus, to: ConnectionState) -> Vec<ConnectionState> {
    match (from, to) {
        (a, b) if a == b => Vec::new(),
        (SessionStatus::Qrcode, SessionStatus::Ready) => {
            vec![SessionStatus::Authenticated, SessionStatus::Ready]
        }
        (_, b) => vec![b],
    }
}

impl GatewayEventHandler {
    /// Every live session follows the gateway's connection to `state`; a new QR code while
    /// already showing one replaces the image (Evolution renews it every few seconds).
    pub(crate) async fn follow_gateway(
        &self,
        state: ConnectionState,
        qr: Option<String>,
    ) -> Result<()> {
        for s in self.d.sessions.live().await? {
            if s.status == state {
                if let (SessionStatus::Qrcode, Some(qr)) = (state, &qr) {
                    let at = self.d.clock.now();
                    let mut t = Transition::to(state, at);
                    t.qr_code = Some(qr.clone());
                    self.d.sessions.apply_transition(s.usuario, &t).await?;
                    self.d
                        .events
                        .publish(Audience::User(s.usuario), SessionEvent::qrcode(qr, at));
                }
                continue;
            }
            for step in steps(s.status, state) {
                let qr = (step == SessionStatus::Qrcode)
                    .then(|| qr.clone())
                    .flatten();
                self.connection_changed(s.usuario, step, qr).await;
            }
        }
        Ok(())
    }

    /// Every live session goes to `error` with `reason` (counted), and hears why.
    pub(crate) async fn lose_gateway(&self, reason: &str, needs_qrcode: bool) -> Result<()> {
        for s in self.d.sessions.live().await? {
            report_failure(&self.d, s.usuario, reason).await?;
            self.d.events.publish(
                Audience::User(s.usuario),
                SessionEvent::error(reason, needs_qrcode, self.d.clock.now()),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SessionStatus::*;

    #[test]
    fn an_open_connection_after_the_qr_code_passes_through_authenticated() {
        assert_eq!(steps(Qrcode, Ready), vec![Authenticated, Ready]);
        assert_eq!(steps(Connecting, Ready), vec![Ready]);
        assert_eq!(steps(Ready, Ready), Vec::<SessionStatus>::new());
        assert_eq!(steps(Connecting, Qrcode), vec![Qrcode]);
        assert_eq!(steps(Ready, Disconnected), vec![Disconnected]);
    }
}
