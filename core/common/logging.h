#pragma once

#include <QLoggingCategory>

namespace cd {

// One logging category per core module that logs, all named `crawldeck.<module>` (finer ones below
// a module are `crawldeck.<module>.<part>`), so an operator can turn one area up with
// QT_LOGGING_RULES. A module that starts logging adds its category here.
Q_DECLARE_LOGGING_CATEGORY(lcStore)
Q_DECLARE_LOGGING_CATEGORY(lcHttp)
Q_DECLARE_LOGGING_CATEGORY(lcRetention)
Q_DECLARE_LOGGING_CATEGORY(lcArtifacts)

} // namespace cd
