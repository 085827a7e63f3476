//! The listening socket and the file descriptors connections need: a long accept queue for
//! bursts of connections, the descriptor limit raised as far as the system allows, and the
//! connection limit kept below it.

use std::io;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket};

/// The accept queue's length asked of the kernel (Linux caps it at `net.core.somaxconn`,
/// 4096 by default): connections a burst opens before sfstub accepts them.
pub const BACKLOG: u32 = 4096;

/// Descriptors kept free for what is not a connection (standard streams, the listener, the
/// runtime, files read on request).
pub const RESERVED_DESCRIPTORS: u64 = 32;

/// The highest soft limit sfstub asks for, even when the hard limit is unlimited.
const DESCRIPTOR_TARGET: u64 = 1 << 20;

/// Binds `addr` with an accept queue of [`BACKLOG`] (tokio's `TcpListener::bind`, like the
/// standard library's, asks for 128). Call inside a tokio runtime.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // As TcpListener::bind does: a restarted sfstub can bind while old connections linger.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// The open-files limit before and after [`raise_descriptor_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Descriptors {
    /// The soft limit sfstub started with.
    pub before: u64,
    /// The soft limit now.
    pub soft: u64,
    /// The hard limit (the most an unprivileged process may raise the soft one to).
    pub hard: u64,
}

/// Raises the soft limit of open files toward the hard limit (capped at 2^20), as servers
/// do: shells and service managers often start processes with 1024. Returns `None` where
/// there is no such limit or it cannot be read.
pub fn raise_descriptor_limit() -> Option<Descriptors> {
    use rlimit::Resource;
    if !Resource::NOFILE.is_supported() {
        return None;
    }
    let (before, hard) = Resource::NOFILE.get().ok()?;
    let target = hard.min(DESCRIPTOR_TARGET);
    let soft = match before < target {
        true => rlimit::increase_nofile_limit(target).unwrap_or(before),
        false => before,
    };
    Some(Descriptors { before, soft, hard })
}

/// The connection limit that fits `soft` descriptors: `wanted`, or fewer when the
/// descriptors (less [`RESERVED_DESCRIPTORS`]) do not suffice; at least 1.
pub fn fit_connections(wanted: usize, soft: u64) -> usize {
    let room = soft.saturating_sub(RESERVED_DESCRIPTORS).max(1);
    usize::try_from(room).map_or(wanted, |room| wanted.min(room))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_limit_fits_the_descriptors() {
        assert_eq!(fit_connections(1000, 1_048_576), 1000);
        assert_eq!(fit_connections(1000, 1024), 992);
        assert_eq!(fit_connections(1000, 10), 1);
    }

    #[test]
    fn the_listener_takes_a_long_accept_queue() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        runtime.block_on(async {
            let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
            assert_ne!(listener.local_addr().unwrap().port(), 0);
        });
    }
}
