#include "logging.h"

namespace cd {

Q_LOGGING_CATEGORY(lcStore, "crawldeck.store")
Q_LOGGING_CATEGORY(lcHttp, "crawldeck.http")
Q_LOGGING_CATEGORY(lcRetention, "crawldeck.retention")
Q_LOGGING_CATEGORY(lcArtifacts, "crawldeck.artifacts")

} // namespace cd
