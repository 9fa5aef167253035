//! The guarantee that every request is logged, even one whose client goes away before the
//! answer: hyper then drops the request's future in the middle of a phase, and with it this
//! guard, which runs the log phase for the abandoned request.
//!
//! A request abandoned before its answer is logged with status 499 (nginx's "client closed
//! request"; API Gateway documents nothing for it) and counted in
//! `portcullis_client_disconnects_total` with the phase it was in. Once the request is answered,
//! the response body's wrapper (`respond::LoggedBody`) takes over: a client that leaves while the
//! body is being sent is counted with phase `response`, and logged with the status it was sent.

use super::exchange::Exchange;
use super::log;
use crate::services::Services;

/// `$context.status` of a request whose client went away before the end of the answer.
pub(crate) const CLIENT_CLOSED: u16 = 499;

pub(crate) struct Unanswered<'a> {
    svc: &'a Services,
    exchange: &'a mut Exchange,
    answered: bool,
}

impl<'a> Unanswered<'a> {
    pub(crate) fn new(svc: &'a Services, exchange: &'a mut Exchange) -> Unanswered<'a> {
        Unanswered {
            svc,
            exchange,
            answered: false,
        }
    }

    pub(crate) fn exchange(&mut self) -> &mut Exchange {
        self.exchange
    }

    /// The pipeline produced its answer: respond takes it from here.
    pub(crate) fn answered(mut self) {
        self.answered = true;
    }
}

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if self.answered {
            return;
        }
        let ctx = &mut self.exchange.ctx;
        ctx.status = CLIENT_CLOSED;
        ctx.response_latency = Some(ctx.started.elapsed());
        log::abandoned(self.svc, ctx);
    }
}
