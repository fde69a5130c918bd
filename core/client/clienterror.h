#pragma once

#include "common/result.h"

#include <QString>

namespace cd::client {

// Why a call to a Crawldeck server did not give what was asked for.
struct ClientError
{
    enum class Kind {
        Network,      // no HTTP answer (refused, reset, no route) after every retry
        Timeout,      // no answer within the call's timeout after every retry
        Http,         // the server answered with an error status (`status`, `code`, `detail`)
        Incompatible, // the server speaks another API version
        BadResponse,  // an answer that is not what the API promises
        Io,           // a local file could not be written
        Integrity,    // a download whose size or sha256 differs from the artifact list
        Cancelled,    // the client object went away while the call was waiting
        Tls,          // the server's certificate is not trusted (or not the pinned one)
    };
    Kind kind = Kind::Network;
    int status = 0; // HTTP status for Kind::Http
    QString code;   // the API's error name ("not_found", "unauthorized"...) for Kind::Http
    QString detail;
    // Kind::Tls: the SHA-256 fingerprint of the certificate the server showed (lowercase hex), so a
    // person can decide to pin it; empty when the handshake did not get that far.
    QByteArray certificateSha256 = {};

    // One line for people: "not found (404): job ... not found".
    QString describe() const;
};

template<typename T> using ClientResult = Result<T, ClientError>;

} // namespace cd::client
