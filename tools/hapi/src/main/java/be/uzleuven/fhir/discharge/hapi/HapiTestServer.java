package be.uzleuven.fhir.discharge.hapi;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A HAPI FHIR JPA server (R4, H2 in memory) for the integration tests of fhir-discharge.
 *
 * <p>Listens on 127.0.0.1:${HAPI_PORT:-8081} with the FHIR base URL /fhir. Everything HAPI-specific
 * is wired in {@link HapiServerConfig}; this class only starts Spring Boot. Spring Boot's own
 * DataSource/JPA auto-configuration is switched off: the configuration builds those itself, the
 * way HAPI's JPA modules expect them.
 */
@SpringBootApplication(
		excludeName = {
			"org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
			"org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration",
			"org.springframework.boot.autoconfigure.data.jpa.JpaRepositoriesAutoConfiguration",
			"org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration",
			"org.springframework.boot.autoconfigure.thymeleaf.ThymeleafAutoConfiguration",
			"org.springframework.boot.autoconfigure.quartz.QuartzAutoConfiguration",
			// Hibernate Search brings an Elasticsearch client along; there is no Elasticsearch here.
			"org.springframework.boot.autoconfigure.elasticsearch.ElasticsearchRestClientAutoConfiguration",
			"org.springframework.boot.autoconfigure.elasticsearch.ElasticsearchClientAutoConfiguration",
			"org.springframework.boot.autoconfigure.data.elasticsearch.ElasticsearchDataAutoConfiguration",
			"org.springframework.boot.autoconfigure.data.elasticsearch.ElasticsearchRepositoriesAutoConfiguration"
		})
public class HapiTestServer {

	public static void main(String[] args) {
		SpringApplication.run(HapiTestServer.class, args);
	}
}
