//! The signals that stop sfstub: SIGINT (Ctrl-C), SIGTERM (`docker stop`) and SIGHUP (the
//! terminal went away) all ask for a graceful stop; the second one of any of them means
//! "now". A SIGHUP that was ignored when sfstub started (`nohup sfstub serve`) stays ignored.

/// The stop signals of the process, installed once.
pub struct StopSignals {
    #[cfg(unix)]
    unix: Vec<(tokio::signal::unix::Signal, &'static str)>,
}

impl StopSignals {
    /// Installs the handlers (inside a tokio runtime). From here on these signals no longer
    /// end the process by themselves: [`StopSignals::recv`] reports them.
    pub fn install() -> std::io::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut unix = vec![
                (signal(SignalKind::interrupt())?, "SIGINT"),
                (signal(SignalKind::terminate())?, "SIGTERM"),
            ];
            if !sighup_ignored() {
                unix.push((signal(SignalKind::hangup())?, "SIGHUP"));
            }
            Ok(StopSignals { unix })
        }
        #[cfg(not(unix))]
        {
            Ok(StopSignals {})
        }
    }

    /// Waits for the next stop signal and returns its name.
    pub async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            let mut waits: Vec<_> = self
                .unix
                .iter_mut()
                .map(|(signal, name)| {
                    Box::pin(async move {
                        if signal.recv().await.is_none() {
                            // The runtime is shutting down: no more signals will come.
                            std::future::pending::<()>().await;
                        }
                        *name
                    })
                })
                .collect();
            std::future::poll_fn(|cx| {
                for wait in waits.iter_mut() {
                    if let std::task::Poll::Ready(name) = wait.as_mut().poll(cx) {
                        return std::task::Poll::Ready(name);
                    }
                }
                std::task::Poll::Pending
            })
            .await
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// Whether SIGHUP is ignored in this process (as `nohup` leaves it): read from
/// `/proc/self/status` on Linux; elsewhere it is taken as not ignored.
#[cfg(unix)]
fn sighup_ignored() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & 1 != 0) // SIGHUP is signal 1: bit 0
}
