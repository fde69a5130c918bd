#pragma once

#include "services.h"

#include <QObject>

namespace cd::http {

class Router;
struct Request;
class Reply;

// How many lines of a job's log match a search, answered by the server so that a console attached
// remotely to a log of millions of lines can say "3 of 41" without reading them.
class LogSearchController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LogSearchController)
public:
    explicit LogSearchController(Services services, QObject *parent = nullptr);
    void registerRoutes(Router &router);

private:
    void count(const Request &req, Reply &&reply);

    Services m_s;
};

} // namespace cd::http
