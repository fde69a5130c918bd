#include "logging.h"

namespace cd {

Q_LOGGING_CATEGORY(lcStore, "crawldeck.store")
Q_LOGGING_CATEGORY(lcHttp, "crawldeck.http")
Q_LOGGING_CATEGORY(lcScheduler, "crawldeck.scheduler")
Q_LOGGING_CATEGORY(lcRunners, "crawldeck.runners")
Q_LOGGING_CATEGORY(lcSettings, "crawldeck.settings")
Q_LOGGING_CATEGORY(lcCrawler, "crawldeck.crawler")

} // namespace cd
