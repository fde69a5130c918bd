#include "sqldialect.h"

namespace cd::store {

QStringList PostgresDialect::sessionSetup() const
{
    return {
        QStringLiteral("SET TIME ZONE 'UTC'"),
        // LIKE ... ESCAPE '\\' needs a backslash to be a plain character in literals.
        QStringLiteral("SET standard_conforming_strings = on"),
    };
}

} // namespace cd::store
