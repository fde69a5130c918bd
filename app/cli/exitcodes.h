#pragma once

#include "client/clienterror.h"

namespace cd::cli {

// What `crawldeck jobs ...` exits with; scripts rely on these numbers.
enum ExitCode : int {
    kExitOk = 0,
    kExitJobFailed = 1, // the job failed, timed out or was cancelled; also any other error
    kExitUsage = 2,     // bad arguments, an ambiguous id prefix, a request the server refused as malformed
    kExitNotFound = 3,  // no such job or artifact
    kExitAuth = 4,      // no valid token
    kExitUnreachable = 5,
};

int exitCodeFor(const client::ClientError &error);

} // namespace cd::cli
