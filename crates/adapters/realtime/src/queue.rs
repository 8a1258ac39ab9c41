//! The bounded per-socket queue.
//!
//! A `Mutex<VecDeque>` plus the reader's waker, instead of a channel that preallocates: an idle
//! socket costs one small allocation, and the buffer only grows while frames are waiting (it is
//! released again once the reader has caught up). A push never waits: a full queue switches
//! the socket to `Overflowed`, frees its waiting frames at once and wakes the reader, whose next
//! `recv` reports [`Delivery::Overflow`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;

use crate::Delivery;

/// A drained buffer larger than this many slots is given back to the allocator.
const KEEP_CAPACITY: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Open,
    Overflowed,
    Closed,
}

#[derive(Debug)]
struct State {
    frames: VecDeque<Arc<str>>,
    waker: Option<Waker>,
    status: Status,
}

#[derive(Debug)]
pub(crate) struct Queue {
    state: Mutex<State>,
}

/// What became of one pushed frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Push {
    Queued,
    /// The queue was full: the socket is now overflowed and must be evicted.
    Overflowed,
    /// The socket was already overflowed or closed.
    Gone,
}

impl Queue {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State {
                frames: VecDeque::new(),
                waker: None,
                status: Status::Open,
            }),
        }
    }

    pub(crate) fn push(&self, frame: &Arc<str>, capacity: usize) -> Push {
        let (result, waker, released) = {
            let mut s = self.state.lock();
            if s.status != Status::Open {
                return Push::Gone;
            }
            let (result, released) = if s.frames.len() >= capacity {
                s.status = Status::Overflowed;
                (Push::Overflowed, std::mem::take(&mut s.frames))
            } else {
                s.frames.push_back(Arc::clone(frame));
                (Push::Queued, VecDeque::new())
            };
            (result, s.waker.take(), released)
        };
        // Frames are released and the reader woken outside the lock.
        drop(released);
        if let Some(w) = waker {
            w.wake();
        }
        result
    }

    /// Ends the queue: the reader gets the frames already queued, then `Closed`.
    pub(crate) fn close(&self) {
        let waker = {
            let mut s = self.state.lock();
            if s.status == Status::Open {
                s.status = Status::Closed;
            }
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn take(s: &mut State) -> Option<Delivery> {
        if let Some(frame) = s.frames.pop_front() {
            if s.frames.is_empty() && s.frames.capacity() > KEEP_CAPACITY {
                s.frames = VecDeque::new();
            }
            return Some(Delivery::Frame(frame));
        }
        match s.status {
            Status::Open => None,
            Status::Overflowed => Some(Delivery::Overflow),
            Status::Closed => Some(Delivery::Closed),
        }
    }

    pub(crate) fn try_recv(&self) -> Option<Delivery> {
        Self::take(&mut self.state.lock())
    }

    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Delivery> {
        let mut s = self.state.lock();
        match Self::take(&mut s) {
            Some(d) => Poll::Ready(d),
            None => {
                match &s.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => s.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    /// Frames waiting (for tests and metrics).
    pub(crate) fn len(&self) -> usize {
        self.state.lock().frames.len()
    }
}
