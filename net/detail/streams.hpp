// The two transports of the gateway: plain TCP and TLS over TCP (Beast's timed streams), each
// connection on a strand of the gateway's io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <type_traits>

namespace aia::net::detail {

/// The concrete executor of a connection. Beast's default `tcp_stream` holds a type-erased
/// any_io_executor, whose prefer / copy / move calls on every operation were ~3% of the node's
/// CPU under load (perf, closed loop); with the strand type known they inline away.
using connection_strand = boost::asio::strand<boost::asio::io_context::executor_type>;
using connection_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, connection_strand>;
using plain_stream = boost::beast::basic_stream<boost::asio::ip::tcp, connection_strand>;
using tls_stream = boost::beast::ssl_stream<plain_stream>;

template <class Stream>
inline constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

} // namespace aia::net::detail
