# `make deb`: the Debian package of the gateway (CPack DEB generator, `cpack --config
# build/CPackConfig.cmake`): /usr/bin/gatehouse, a hardened systemd unit, a system user made in
# postinst, an example configuration in /etc/gatehouse (conffiles) and the reference docs. The
# development files (headers, static libraries, the CMake package) are not in it: they are what
# `cmake --install` adds.
set(GATEHOUSE_DEBIAN_DIR ${PROJECT_SOURCE_DIR}/packaging/debian)

# Component `system`: only the package has it (EXCLUDE_FROM_ALL keeps `cmake --install --prefix
# P` from writing to /etc or /lib).
install(FILES ${GATEHOUSE_DEBIAN_DIR}/gatehouse.service DESTINATION /lib/systemd/system
  COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${GATEHOUSE_DEBIAN_DIR}/gatehouse.sysusers DESTINATION /usr/lib/sysusers.d
  RENAME gatehouse.conf COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${GATEHOUSE_DEBIAN_DIR}/gatehouse.toml ${GATEHOUSE_DEBIAN_DIR}/gatehouse.env
  DESTINATION /etc/gatehouse PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
  COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/configuration.md
              ${PROJECT_SOURCE_DIR}/docs/operations.md ${PROJECT_SOURCE_DIR}/docs/gatehouse.example.toml
  DESTINATION /usr/share/doc/gatehouse COMPONENT system EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gatehouse)
set(CPACK_PACKAGE_VENDOR gatehouse)
set(CPACK_PACKAGE_CONTACT "gatehouse maintainers <gatehouse@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Backend-for-Frontend security gateway (OpenID Connect, server-side sessions)")
set(CPACK_PACKAGE_DESCRIPTION
  "gatehouse runs the OpenID Connect login on the server, keeps each user's session (tokens,
claims, expiry) in a server-side store (SQLite, PostgreSQL or Redis) and gives the browser one
opaque HttpOnly cookie; API calls go through it with the user's tokens attached.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime system)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The shared libraries the binary needs (libssl3, libsqlite3-0, libpq5, libhiredis0.14, ...),
# computed by dpkg-shlibdeps; adduser for systems without systemd-sysusers.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${GATEHOUSE_DEBIAN_DIR}/conffiles ${GATEHOUSE_DEBIAN_DIR}/postinst
  ${GATEHOUSE_DEBIAN_DIR}/prerm ${GATEHOUSE_DEBIAN_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The binary's debug information stays in the build (RelWithDebInfo): the package ships it
# stripped.
set(CPACK_STRIP_FILES TRUE)
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR}/packages)
include(CPack)
