#pragma once

#include "services.h"

#include <QObject>

namespace cd::http {

class Router;

// The local runner's profiles a new job may name, for a remote New job dialog.
class ProfilesController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProfilesController)
public:
    explicit ProfilesController(Services services, QObject *parent = nullptr);
    void registerRoutes(Router &router);

private:
    Services m_s;
};

} // namespace cd::http
