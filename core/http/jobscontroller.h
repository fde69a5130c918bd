#pragma once

#include "services.h"

#include <QObject>

namespace cd::http {

class Router;
struct Request;
class Reply;

// The general job API under /api/jobs.
class JobsController : public QObject
{
    Q_OBJECT
public:
    JobsController(Services services, QObject *parent = nullptr);
    void registerRoutes(Router &router);

private:
    void list(const Request &req, Reply &&reply);
    void create(const Request &req, Reply &&reply);
    void get(const Request &req, Reply &&reply);
    void cancel(const Request &req, Reply &&reply);
    void retry(const Request &req, Reply &&reply);
    void logs(const Request &req, Reply &&reply);
    void logText(const Request &req, Reply &&reply);
    void artifacts(const Request &req, Reply &&reply);
    void artifact(const Request &req, Reply &&reply);

    Services m_s;
};

} // namespace cd::http
