# The Debian package (CPack's DEB generator), built by scripts/package from
# a Release tree configured with prefix /usr and sysconf dir /etc. Depends
# is computed by dpkg-shlibdeps from the ELF files of the package: the
# binary and libphotopub-image.so, which brings libvips42 (see
# cmake/install.cmake). Included by the top-level CMakeLists.txt.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME photopub)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "photopub maintainers <photopub@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "photo-publishing pipeline: caption and post images")
set(CPACK_PACKAGE_DESCRIPTION
    "photopub keeps a folder of images, and each run picks one never posted,\n\
has an AI describe it, writes a caption and a training-caption sidecar,\n\
publishes it to every enabled platform at once (Telegram, email,\n\
Instagram, Mastodon, Pixelfed, Bluesky, a local outbox) and archives it.\n\
A small web server offers the same from a phone. Ships systemd units\n\
(a timer for the posting schedule, the web server), man pages, bash\n\
completion and a logrotate snippet.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)        # photopub_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "logrotate")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# conffiles: dpkg keeps the administrator's edits of these on upgrade.
# postinst/postrm reload systemd; prerm stops the units on removal.
set(PHOTOPUB_CONFFILES ${CMAKE_BINARY_DIR}/debian/conffiles)
file(WRITE ${PHOTOPUB_CONFFILES}
     "${CMAKE_INSTALL_FULL_SYSCONFDIR}/photopub/photopub.ini\n"
     "${CMAKE_INSTALL_FULL_SYSCONFDIR}/photopub/photopub.env\n"
     "${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d/photopub\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PHOTOPUB_CONFFILES}
    ${CMAKE_SOURCE_DIR}/dist/debian/postinst ${CMAKE_SOURCE_DIR}/dist/debian/prerm
    ${CMAKE_SOURCE_DIR}/dist/debian/postrm)
include(CPack)
