/* A minimal embed SAPI host: runs the script named by argv[1]. */
#include <sapi/embed/php_embed.h>

int main(int argc, char **argv)
{
    int status = 0;
    if (argc < 2) {
        return 2;
    }
    PHP_EMBED_START_BLOCK(argc, argv)
        zend_file_handle file;
        zend_stream_init_filename(&file, argv[1]);
        php_execute_script(&file);
        status = EG(exit_status);
    PHP_EMBED_END_BLOCK()
    return status;
}
