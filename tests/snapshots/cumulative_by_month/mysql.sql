WITH `t14` AS (
  SELECT
    `t13`.`__t`,
    SUM(`t13`.`qty` * `t13`.`price` * (
      1 - `t13`.`discount`
    )) AS `__n0`
  FROM (
    SELECT
      `t12`.`qty`,
      `t12`.`price`,
      `t12`.`discount`,
      `t12`.`__k0`,
      `t12`.`__j0`,
      `t12`.`__d_order_date`,
      `t12`.`__d_order_date` AS `__t`
    FROM (
      SELECT
        `t10`.`qty`,
        `t10`.`price`,
        `t10`.`discount`,
        `t10`.`__k0`,
        `t11`.`__j0`,
        `t11`.`__d_order_date`
      FROM (
        SELECT
          `t3`.`qty`,
          `t3`.`price`,
          `t3`.`discount`,
          `t3`.`order_id` AS `__k0`
        FROM `onpace_it_order_lines` AS `t3`
      ) AS `t10`
      LEFT OUTER JOIN (
        SELECT
          `t4`.`id` AS `__j0`,
          `t4`.`order_date` AS `__d_order_date`
        FROM `onpace_it_orders` AS `t4`
      ) AS `t11`
        ON `t10`.`__k0` = `t11`.`__j0`
    ) AS `t12`
    WHERE
      `t12`.`__d_order_date` <= DATE('2024-06-30')
      AND `t12`.`__d_order_date` >= DATE('2023-01-01')
  ) AS `t13`
  GROUP BY
    1
), `t18` AS (
  SELECT
    `t7`.`__day`,
    COALESCE(`t16`.`__n0`, 0) AS `__v`
  FROM `onpace_days_905eec0d363b` AS `t7`
  LEFT OUTER JOIN `t14` AS `t16`
    ON `t7`.`__day` = `t16`.`__t`
)
SELECT
  `t38`.`__p` AS `period`,
  CAST(`t38`.`__n1` AS DOUBLE) AS `revenue_7d`,
  CAST(`t38`.`__n2` AS DOUBLE) AS `revenue_mtd`,
  CAST(`t38`.`__n3` AS DOUBLE) AS `revenue_running`
FROM (
  SELECT
    `t5`.`__p`,
    COALESCE(`t22`.`__n0`, 0) AS `__n0`,
    COALESCE(`t35`.`__n1`, 0) AS `__n1`,
    COALESCE(`t36`.`__n2`, 0) AS `__n2`,
    COALESCE(`t37`.`__n3`, 0) AS `__n3`
  FROM `onpace_periods_4b71f0b1481d` AS `t5`
  LEFT OUTER JOIN (
    SELECT
      `t19`.`__p` AS `__g0p`,
      `t19`.`__n0`
    FROM (
      SELECT
        `t17`.`__p`,
        SUM(`t17`.`__n0`) AS `__n0`
      FROM (
        SELECT
          `t15`.`__t`,
          `t15`.`__n0`,
          DATE_FORMAT(`t15`.`__t`, '%Y-%m-01') AS `__p`
        FROM `t14` AS `t15`
        WHERE
          `t15`.`__t` <= DATE('2024-06-30') AND `t15`.`__t` >= DATE('2024-01-01')
      ) AS `t17`
      GROUP BY
        1
    ) AS `t19`
  ) AS `t22`
    ON `t5`.`__p` = `t22`.`__g0p`
  LEFT OUTER JOIN (
    SELECT
      `t29`.`__p` AS `__g1p`,
      `t29`.`__n1`
    FROM (
      SELECT
        `t6`.`__ap` AS `__p`,
        `t26`.`__c` AS `__n1`
      FROM (
        SELECT
          `t20`.`__day`,
          `t20`.`__v`,
          SUM(`t20`.`__v`) OVER (
            ORDER BY CASE WHEN `t20`.`__day` IS NULL THEN 1 ELSE 0 END, `t20`.`__day` ASC
            ROWS BETWEEN 6 preceding AND CURRENT ROW
          ) AS `__c`
        FROM `t18` AS `t20`
      ) AS `t26`
      INNER JOIN `onpace_asof_98d7a9c8a3e8` AS `t6`
        ON `t26`.`__day` = `t6`.`__ad`
    ) AS `t29`
  ) AS `t35`
    ON `t5`.`__p` = `t35`.`__g1p`
  LEFT OUTER JOIN (
    SELECT
      `t30`.`__p` AS `__g2p`,
      `t30`.`__n2`
    FROM (
      SELECT
        `t6`.`__ap` AS `__p`,
        `t27`.`__c` AS `__n2`
      FROM (
        SELECT
          `t20`.`__day`,
          `t20`.`__v`,
          SUM(`t20`.`__v`) OVER (
            PARTITION BY DATE_FORMAT(`t20`.`__day`, '%Y-%m-01')
            ORDER BY CASE WHEN `t20`.`__day` IS NULL THEN 1 ELSE 0 END, `t20`.`__day` ASC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS `__c`
        FROM `t18` AS `t20`
      ) AS `t27`
      INNER JOIN `onpace_asof_98d7a9c8a3e8` AS `t6`
        ON `t27`.`__day` = `t6`.`__ad`
    ) AS `t30`
  ) AS `t36`
    ON `t5`.`__p` = `t36`.`__g2p`
  LEFT OUTER JOIN (
    SELECT
      `t31`.`__p` AS `__g3p`,
      `t31`.`__n3`
    FROM (
      SELECT
        `t6`.`__ap` AS `__p`,
        `t28`.`__c` AS `__n3`
      FROM (
        SELECT
          `t20`.`__day`,
          `t20`.`__v`,
          SUM(`t20`.`__v`) OVER (
            ORDER BY CASE WHEN `t20`.`__day` IS NULL THEN 1 ELSE 0 END, `t20`.`__day` ASC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS `__c`
        FROM `t18` AS `t20`
      ) AS `t28`
      INNER JOIN `onpace_asof_98d7a9c8a3e8` AS `t6`
        ON `t28`.`__day` = `t6`.`__ad`
    ) AS `t31`
  ) AS `t37`
    ON `t5`.`__p` = `t37`.`__g3p`
) AS `t38`
WHERE
  `t38`.`__p` >= DATE('2024-01-01')
