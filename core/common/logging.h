#pragma once

#include <QLoggingCategory>

namespace cd {

// One logging category per core module, all named `crawldeck.<module>` (finer ones below a module
// are `crawldeck.<module>.<part>`), so an operator can turn one area up with QT_LOGGING_RULES.
Q_DECLARE_LOGGING_CATEGORY(lcStore)
Q_DECLARE_LOGGING_CATEGORY(lcHttp)
Q_DECLARE_LOGGING_CATEGORY(lcScheduler)
Q_DECLARE_LOGGING_CATEGORY(lcRunners)
Q_DECLARE_LOGGING_CATEGORY(lcSettings)
Q_DECLARE_LOGGING_CATEGORY(lcCrawler)

} // namespace cd
