// Precompiled header for the server's heavy Boost headers.
#pragma once
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/json.hpp>
