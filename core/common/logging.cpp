#include "logging.h"

namespace cd {

Q_LOGGING_CATEGORY(lcStore, "crawldeck.store")
Q_LOGGING_CATEGORY(lcHttp, "crawldeck.http")

} // namespace cd
